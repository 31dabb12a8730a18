import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { DOCKER_LABELS, createDockerVMProvider } from "@vm/provider-docker";
import type { VMSnapshot } from "@vm/core";
import Dockerode from "dockerode";
import { afterAll, describe, expect, it } from "vitest";
import { type SocketProxy, createSocketProxy } from "./socket-proxy.js";
import { RUN_LABEL, baseImage, codeOf, failureOf } from "./support.js";

// snapshots.fromImage makes a snapshot by creating a container from the image (never started)
// and committing it. A client killed between that create and the container's removal cannot
// remove it: the library must still find and remove it. Here a real Node process that imports
// the built provider is SIGKILLed at each request of fromImage after the create, on the event
// (the proxy in front of the engine sees that request, or the engine shows the container),
// never after a fixed sleep. A second provider with the same labels is the user afterwards.

const docker = new Dockerode();
const providerUrl = pathToFileURL(createRequire(import.meta.url).resolve("@vm/provider-docker")).href;
// The child's bootTimeoutMs, which is the deadline of its source container.
const CHILD_DEADLINE_MS = 4_000;
// How long past the deadline a sweep may take to remove what is left (a liveness bound).
const SWEEP_GRACE_MS = 60_000;
const runIds: string[] = [];
const log: Record<string, unknown> = {};

// The child: one fromImage through the proxy; prints the snapshot id if it ever gets there.
// Values arrive as arguments, never in the script text.
const CHILD = `
const [url, socketPath, labels, image, deadlineMs] = process.argv.slice(1);
const { createDockerVMProvider } = await import(url);
const provider = createDockerVMProvider({ docker: { socketPath }, labels: JSON.parse(labels), bootTimeoutMs: Number(deadlineMs) });
const snapshot = await provider.snapshots.fromImage(image);
process.stdout.write("done " + snapshot.id);
`;

afterAll(async () => {
  console.log(`[reliability] snapshot-source-leftovers: ${JSON.stringify(log)}`);
  for (const runId of runIds) {
    const filters = { label: [`${RUN_LABEL}=${runId}`] };
    for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const i of await docker.listImages({ filters })) await docker.getImage(i.Id).remove({ force: true }).catch(() => undefined);
  }
});

async function leftovers(runId: string): Promise<{ containers: Dockerode.ContainerInfo[]; images: Dockerode.ImageInfo[] }> {
  const filters = { label: [`${RUN_LABEL}=${runId}`] };
  return { containers: await docker.listContainers({ all: true, filters }), images: await docker.listImages({ filters }) };
}

function exited(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(String(child.signalCode ?? child.exitCode));
    child.once("exit", (code, signal) => resolve(String(signal ?? code)));
  });
}

type KillPoint = "container-seen" | "commit" | "read-back" | "remove";

const IMAGE_BY_ID = /^GET \/(v[0-9.]+\/)?images\/sha256:[0-9a-f]+\/json/;

/**
 * Runs one child fromImage and SIGKILLs it at `point`: before the proxy forwards the request
 * named (commit, the read-back of the committed image, the removal of the source container),
 * or as soon as the engine lists the source container.
 */
async function killedFromImage(point: KillPoint, runId: string): Promise<{ stdout: string; signal: string }> {
  let child: ChildProcess | undefined;
  let committed = false;
  let killedAt: string | undefined;
  const kill = (where: string) => {
    if (killedAt !== undefined) return;
    killedAt = where;
    child?.kill("SIGKILL");
  };
  const proxy: SocketProxy = await createSocketProxy(`source-${point}`, {
    decide: (head) => {
      if (killedAt !== undefined) return "cut";
      if (/^POST \/(v[0-9.]+\/)?commit/.test(head)) {
        committed = true;
        if (point === "commit") kill(point);
      } else if (point === "read-back" && committed && IMAGE_BY_ID.test(head)) kill(point);
      else if (point === "remove" && /^DELETE \/(v[0-9.]+\/)?containers\//.test(head)) kill(point);
      return killedAt === undefined ? "forward" : "cut";
    },
  });
  try {
    child = spawn(process.execPath, ["--input-type=module", "-e", CHILD, providerUrl, proxy.socketPath, JSON.stringify({ [RUN_LABEL]: runId }), baseImage(), String(CHILD_DEADLINE_MS)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stdout += d.toString()));
    const end = exited(child);
    if (point === "container-seen") {
      let finished = false;
      void end.then(() => (finished = true));
      const label = [`${RUN_LABEL}=${runId}`, `${DOCKER_LABELS.kind}=snapshot-source`];
      while (!finished && killedAt === undefined) {
        if ((await docker.listContainers({ all: true, filters: { label } })).length > 0) kill(point);
        else await new Promise((r) => setTimeout(r, 10));
      }
    }
    const signal = await end;
    expect(killedAt, `the child was never killed at ${point}: ${stdout}`).toBe(point);
    return { stdout, signal };
  } finally {
    await proxy.close();
  }
}

describe("a client SIGKILLed inside snapshots.fromImage", () => {
  it.each<[KillPoint, { containers: number; images: number }]>([
    // Seen, then killed: the child may have removed it in between (then nothing is left to sweep).
    ["container-seen", { containers: -1, images: -1 }],
    ["commit", { containers: 1, images: 0 }],
    ["read-back", { containers: 1, images: 1 }],
    ["remove", { containers: 1, images: 1 }],
  ])("killed at %s: the source container is refused by terminate with the truth, kept until its deadline, then removed by snapshots.list; a committed snapshot is listed and deletable", async (point, expected) => {
    const runId = randomUUID();
    runIds.push(runId);
    const { signal } = await killedFromImage(point, runId);
    expect(signal).toBe("SIGKILL");

    const left = await leftovers(runId);
    // -1: "container-seen" races the child; the kill may land before or after the commit.
    if (expected.containers >= 0) expect(left.containers.length).toBe(expected.containers);
    if (expected.images >= 0) expect(left.images.length).toBe(expected.images);
    const observer = createDockerVMProvider({ labels: { [RUN_LABEL]: runId } });
    const source = left.containers[0];
    const sweptAfterDeadlineMs = source ? await sourceSwept(observer, runId, source) : undefined;

    // A snapshot the engine committed before the kill is a whole snapshot: listed, deletable.
    // A commit the child sent just before it died may still be finishing in the engine ("container-seen"
    // races it; CI on 58a7143 listed one more image than it had seen): the list must agree with the
    // engine's images once they stop changing, compared on each read, never after a fixed sleep.
    const snapshots = await agreed(observer, runId);
    for (const s of snapshots) await observer.snapshots.delete(s.id);
    const after = await leftovers(runId);
    expect({ containers: after.containers.length, images: after.images.length }).toEqual({ containers: 0, images: 0 });
    log[point] = { containers: left.containers.length, images: left.images.length, sweptAfterDeadlineMs };
  }, 120_000);
});

/** `snapshots.list()` once it names exactly the engine's images of this run (a commit may be finishing). */
async function agreed(observer: ReturnType<typeof createDockerVMProvider>, runId: string): Promise<VMSnapshot[]> {
  const deadline = Date.now() + SWEEP_GRACE_MS;
  for (;;) {
    const snapshots = await observer.snapshots.list();
    const images = (await leftovers(runId)).images.map((i) => i.Id).sort();
    const listed = snapshots.map((s) => s.id).sort();
    if (JSON.stringify(listed) === JSON.stringify(images)) return snapshots;
    if (Date.now() > deadline) expect(listed, "snapshots.list() names the engine's images of this run").toEqual(images);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The source container is no instance, is kept before its deadline, and is removed by snapshots.list after it. */
async function sourceSwept(observer: ReturnType<typeof createDockerVMProvider>, runId: string, source: Dockerode.ContainerInfo): Promise<number> {
    expect(source.Labels[DOCKER_LABELS.kind]).toBe("snapshot-source");
    expect((await observer.instances.list()).map((i) => i.id)).not.toContain(source.Id);
    const refused = await failureOf(() => observer.instances.terminate(source.Id));
    expect(refused.code).toBe("NOT_FOUND");
    expect(refused.message).not.toContain("not created by @vm/provider-docker");
    expect(refused.message).toContain("snapshots.fromImage");

    // Before its deadline the container may be a call under way: a sweep keeps it.
    const deadline = Date.parse(source.Labels[DOCKER_LABELS.sourceDeadline] ?? "");
    expect(Number.isNaN(deadline), "the source container has no deadline label").toBe(false);
    await observer.snapshots.list();
    if (Date.now() < deadline) expect((await leftovers(runId)).containers.map((c) => c.Id)).toEqual([source.Id]);

    // After it: the next snapshots.list removes it.
    let sweptAfterMs: number | undefined;
    while (sweptAfterMs === undefined) {
      await observer.snapshots.list();
      if ((await leftovers(runId)).containers.length === 0) sweptAfterMs = Date.now() - deadline;
      else expect(Date.now(), "snapshots.list never removed the abandoned source container").toBeLessThan(deadline + SWEEP_GRACE_MS);
      if (sweptAfterMs === undefined) await new Promise((r) => setTimeout(r, 250));
    }
    expect(sweptAfterMs).toBeGreaterThanOrEqual(0);
    return sweptAfterMs;
}

describe("snapshots.fromImage whose read-back after the commit fails", () => {
  it("fails UNAVAILABLE and removes the committed image and the source container", async () => {
    const runId = randomUUID();
    runIds.push(runId);
    let committed = false;
    let cut = false;
    const proxy = await createSocketProxy("source-check", {
      decide: (head) => {
        if (/^POST \/(v[0-9.]+\/)?commit/.test(head)) committed = true;
        else if (committed && !cut && IMAGE_BY_ID.test(head)) {
          cut = true;
          return "cut";
        }
        return "forward";
      },
    });
    try {
      const provider = createDockerVMProvider({ docker: { socketPath: proxy.socketPath }, labels: { [RUN_LABEL]: runId } });
      const err: unknown = await provider.snapshots.fromImage(baseImage()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(cut, "the proxy never saw the read-back: the fault was not made").toBe(true);
      expect(codeOf(err)).toBe("UNAVAILABLE");
      const left = await leftovers(runId);
      expect({ containers: left.containers.length, images: left.images.length }).toEqual({ containers: 0, images: 0 });
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
