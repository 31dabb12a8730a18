import { randomUUID } from "node:crypto";
import type { BootedInstance, VMSnapshot } from "@vm/core";
import { DEFAULT_VM_RESOURCES } from "@vm/provider-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCKER_LABELS, baseImage, createTestProvider, waitFor } from "./helpers.js";

const { provider, docker, runId, cleanup } = createTestProvider();
let parent: BootedInstance;
let base: VMSnapshot;

/** dev.vm.* labels with a value (we blank inherited ones with ""). */
function liveVmLabels(labels: Record<string, string> | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k, v]) => k.startsWith("dev.vm.") && v !== ""));
}

beforeAll(async () => {
  base = await provider.snapshots.fromImage(baseImage(), { metadata: { run: runId, role: "base" }, digest: `base-${runId}` });
  parent = await provider.instances.boot(base.id, { ttl_seconds: 3600, ttl_action: "stop", metadata: { run: runId, role: "parent", secret: "instance-only" } });
});
afterAll(async () => {
  await cleanup();
});

describe("snapshots", () => {
  it("fromImage turns a local image into a bootable snapshot; images take references", async () => {
    expect(base).toMatchObject({ status: "ready", metadata: { run: runId, role: "base" }, digest: `base-${runId}` });
    const image = await provider.images.get(baseImage());
    expect(base.image_id).toBe(image.id);
    expect((await provider.images.list()).map((i) => i.id)).toContain(image.id);
    await expect(provider.images.get("no-such-image:nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await provider.snapshots.get(base.id)).toEqual(base);
    // The same digest returns the same snapshot.
    expect((await provider.snapshots.fromImage(baseImage(), { digest: `base-${runId}` })).id).toBe(base.id);
    await expect(provider.snapshots.fromImage("no-such-image:nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(provider.snapshots.get(baseImage())).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("round-trips files through a snapshot without leaking the instance's labels", async () => {
    await provider.files.writeFile(parent.id, "/root/state.txt", "from parent");
    const digest = `state-${randomUUID()}`;
    const snap = await provider.snapshots.create(parent.id, { metadata: { run: runId, stage: "state" }, digest });
    expect(snap).toMatchObject({ status: "ready", metadata: { run: runId, stage: "state" }, digest });
    const image = await docker.getImage(snap.id).inspect();
    expect(liveVmLabels(image.Config.Labels)).toEqual({
      [DOCKER_LABELS.managed]: "true",
      [DOCKER_LABELS.kind]: "snapshot",
      [DOCKER_LABELS.metadata]: JSON.stringify({ run: runId, stage: "state" }),
      [`${DOCKER_LABELS.metaPrefix}run`]: runId,
      [`${DOCKER_LABELS.metaPrefix}stage`]: "state",
      [DOCKER_LABELS.digest]: digest,
      [DOCKER_LABELS.image]: parent.snapshot_id ? (await docker.getImage(base.id).inspect()).Id : "",
      // The instance's size: a snapshot keeps it.
      [DOCKER_LABELS.resources]: JSON.stringify(DEFAULT_VM_RESOURCES),
    });
    // Idempotent: same digest, same snapshot, even asked concurrently.
    const again = await Promise.all([provider.snapshots.create(parent.id, { digest }), provider.snapshots.create(parent.id, { digest })]);
    expect(again.map((s) => s.id)).toEqual([snap.id, snap.id]);
    expect((await provider.snapshots.list({ digest })).map((s) => s.id)).toEqual([snap.id]);
    expect((await provider.snapshots.list({ metadata: { run: runId, stage: "state" } })).map((s) => s.id)).toEqual([snap.id]);

    const child = await provider.instances.boot(snap.id, { metadata: { run: runId, role: "child" } });
    expect(await provider.files.readFile(child.id, "/root/state.txt")).toBe("from parent");
    expect(child.metadata).toEqual({ run: runId, role: "child" });
    expect(child.ttl).toBeUndefined();
    expect(child.snapshot_id).toBe(snap.id);
    const childLabels = liveVmLabels((await docker.getContainer(child.id).inspect()).Config.Labels);
    expect(Object.keys(childLabels).filter((k) => /digest|ttl|secret|stage/.test(k))).toEqual([]);
    expect((await provider.instances.list({ metadata: { secret: "instance-only" } })).map((i) => i.id)).toEqual([parent.id]);

    // delete refuses while an instance (even a stopped one) uses the snapshot.
    await provider.instances.stop(child.id);
    await expect(provider.snapshots.delete(snap.id)).rejects.toMatchObject({ code: "CONFLICT" });
    await provider.instances.terminate(child.id);
    await provider.snapshots.delete(snap.id);
    await expect(provider.snapshots.get(snap.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(provider.snapshots.delete(snap.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("validates input and reports unknown ids", async () => {
    await expect(provider.snapshots.create("0123456789abcdef0123")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(provider.snapshots.get("sha256:0000000000000000000000000000000000000000000000000000000000000000")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(provider.snapshots.create(parent.id, { digest: "" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(provider.snapshots.create(parent.id, { metadata: { a: 1 } as never })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(provider.snapshots.delete("")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("fork(3) makes independent copies with their PM2 processes restored", async () => {
    await provider.files.writeFile(parent.id, "/root/ticker.js", "setInterval(() => console.log('tick', Date.now()), 200);\n");
    await provider.processes.start(parent.id, "node", { name: "ticker", script: "/root/ticker.js" });
    await provider.files.writeFile(parent.id, "/root/who.txt", "parent");
    const forks = await provider.instances.fork(parent.id, 3);
    try {
      expect(forks).toHaveLength(3);
      expect(new Set(forks.map((f) => f.id)).size).toBe(3);
      for (const fork of forks) {
        expect(fork.status).toBe("ready");
        expect(fork.id).not.toBe(parent.id);
      }
      await Promise.all(forks.map((f, i) => provider.files.writeFile(f.id, "/root/who.txt", `fork-${i}`)));
      const who = await Promise.all([parent, ...forks].map((vm) => provider.files.readFile(vm.id, "/root/who.txt")));
      expect(who).toEqual(["parent", "fork-0", "fork-1", "fork-2"]);
      for (const fork of forks) {
        const procs = await waitFor(async () => {
          const list = await provider.processes.list(fork.id);
          return list.some((p) => p.name === "ticker" && p.status === "online") ? list : undefined;
        }, 90_000);
        expect(procs.filter((p) => p.name === "ticker")).toHaveLength(1);
      }
      // Stopping one fork's process touches neither the parent nor the other forks.
      await provider.processes.stop(forks[0]!.id, "ticker");
      expect((await provider.processes.list(parent.id)).find((p) => p.name === "ticker")?.status).toBe("online");
      expect((await provider.processes.list(forks[1]!.id)).find((p) => p.name === "ticker")?.status).toBe("online");
      // The internal fork snapshot is not a user-visible snapshot.
      expect((await provider.snapshots.list()).some((s) => forks.some((f) => f.snapshot_id === s.id))).toBe(false);
    } finally {
      for (const fork of forks) await provider.instances.terminate(fork.id);
    }
    // Terminating the last fork removed the fork snapshot.
    const forkImages = await docker.listImages({ filters: { label: [`${DOCKER_LABELS.kind}=fork-snapshot`, `${DOCKER_LABELS.forkOf}=${parent.id}`] } });
    expect(forkImages).toEqual([]);
  }, 300_000);
});
