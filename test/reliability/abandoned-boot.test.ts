import { randomUUID } from "node:crypto";
import type { VMProvider } from "@vm/core";
import { createDockerVMProvider } from "@vm/provider-docker";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SocketProxy, createSocketProxy } from "./socket-proxy.js";
import { RUN_LABEL, baseImage, codeOf } from "./support.js";

// A boot abandoned between "create container" and "start container": the booting process lost
// the engine right there (the engine died, the process was killed, the network went), so the
// boot could neither start nor remove its container. The container stays "created" for ever.
// The provider must not call it "booting" for ever: once the boot's deadline has passed it is
// "error", and terminate removes it.
//
// The fault is made exactly at that point with a real Unix-socket proxy in front of the shared
// engine: it forwards every byte until the provider sends `POST /containers/<id>/start`, then
// cuts that connection and refuses every later one (the engine is "gone" for that provider).
// A second provider on the real socket is the user who looks afterwards.

const BOOT_TIMEOUT_MS = 4_000;
const runId = randomUUID();
const docker = new Dockerode();
const log: Record<string, unknown> = {};
let proxy: SocketProxy;
let cut = false;

beforeAll(async () => {
  proxy = await createSocketProxy("abandoned-boot", {
    decide: (head) => {
      if (!/^POST \/(v[0-9.]+\/)?containers\/[0-9a-f]+\/start/.test(head)) return "forward";
      cut = true;
      proxy.destroyAll();
      return "cut";
    },
    accept: () => !cut,
  });
});

afterAll(async () => {
  console.log(`[reliability] abandoned-boot: ${JSON.stringify(log)}`);
  await proxy.close();
  const containers = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
});

describe("a boot abandoned between create and start", () => {
  it("fails UNAVAILABLE; the container left 'created' is booting until the boot's deadline, then error; terminate removes it", async () => {
    const labels = { [RUN_LABEL]: runId };
    const booter: VMProvider = createDockerVMProvider({ docker: { socketPath: proxy.socketPath }, labels });
    const observer: VMProvider = createDockerVMProvider({ labels });
    const metadata = { test: "abandoned-boot", run: runId };

    const startedAt = Date.now();
    const err: unknown = await booter.instances.boot(baseImage(), { timeoutMs: BOOT_TIMEOUT_MS, metadata }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const failedAfterMs = Date.now() - startedAt;
    expect(cut, "the proxy never saw the start request: the fault was not made").toBe(true);
    expect(codeOf(err)).toBe("UNAVAILABLE");

    // The engine has the container, created and never started: the boot could not remove it.
    const left = await observer.instances.list({ metadata });
    expect(left).toHaveLength(1);
    const id = left[0]!.id;
    const state = (await docker.getContainer(id).inspect()).State;
    expect(state.Status).toBe("created");
    const beforeDeadline = Date.now() < startedAt + BOOT_TIMEOUT_MS;
    // Before the deadline a boot could still legitimately be under way: "booting".
    if (beforeDeadline) expect(left[0]!.status).toBe("booting");

    // After it: nothing will ever start this container. get and list say "error".
    while (Date.now() < startedAt + BOOT_TIMEOUT_MS + 500) await new Promise((r) => setTimeout(r, 250));
    expect((await observer.instances.get(id)).status).toBe("error");
    expect((await observer.instances.list({ metadata })).map((i) => i.status)).toEqual(["error"]);
    expect((await observer.instances.list({ status: "error", metadata })).map((i) => i.id)).toEqual([id]);
    expect(await observer.instances.list({ status: "booting", metadata })).toEqual([]);
    // It runs nothing: exec is a clear code, not a hang or an INTERNAL.
    expect(await observer.instances.exec(id, ["true"]).then(() => "ok", codeOf)).toBe("CONFLICT");

    await observer.instances.terminate(id);
    expect(await observer.instances.get(id).then(() => "ok", codeOf)).toBe("NOT_FOUND");
    expect(await observer.instances.list({ metadata })).toEqual([]);
    log.case = { failedAfterMs, sawBootingBeforeDeadline: beforeDeadline, errorAfterDeadline: true };
  });
});
