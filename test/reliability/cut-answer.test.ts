import { randomUUID } from "node:crypto";
import type { VMProvider } from "@vm/core";
import { createDockerVMProvider } from "@vm/provider-docker";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SocketProxy, createSocketProxy } from "./socket-proxy.js";
import { RUN_LABEL, baseImage, codeOf } from "./support.js";

// The engine's connection closes in the middle of an answer: the headers came, the body did
// not (dockerd killed while it wrote, a proxy or SSH tunnel that died). docker-modem waits for
// the body's end, which never comes; the provider must fail the call at once with UNAVAILABLE
// (ECONNRESET), not after requestTimeoutMs and, for a long call such as a commit whose
// liveness pings the engine still answers, not never. This was the CI failure of the
// engine-restart test: one call in flight when dockerd was SIGKILLed hung.
//
// A real Unix-socket proxy in front of the shared engine passes every request and answer
// through, and cuts one chosen answer after its headers and five bytes of its body. The
// provider's requestTimeoutMs is 10 minutes, so only the cut itself can end the call.

const runId = randomUUID();
const labels = { [RUN_LABEL]: runId };
const docker = new Dockerode();
const log: Record<string, number> = {};
let proxy: SocketProxy;
let target: RegExp | undefined;
let cuts = 0;
let provider: VMProvider;

beforeAll(async () => {
  proxy = await createSocketProxy("cut-answer", {
    decide: (head) => {
      if (!target?.test(head)) return "forward";
      target = undefined;
      cuts++;
      return "cut-mid-answer";
    },
  });
  provider = createDockerVMProvider({ docker: { socketPath: proxy.socketPath }, labels, requestTimeoutMs: 600_000 });
});

afterAll(async () => {
  console.log(`[reliability] cut-answer: ${JSON.stringify(log)}`);
  await proxy.close();
  const filters = { label: [`${RUN_LABEL}=${runId}`] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  for (const image of await docker.listImages({ filters })) await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
});

/** Runs `call` with the next request matching `request` cut mid-answer; its VMError (or "ok"), and how long it took. */
async function withCut(request: RegExp, call: () => Promise<unknown>): Promise<{ code: string; message: string; ms: number }> {
  const before = cuts;
  target = request;
  const t0 = Date.now();
  const err: unknown = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  const ms = Date.now() - t0;
  expect(cuts - before, `no request matched ${request}: the fault was not made`).toBe(1);
  return { code: err === undefined ? "ok" : codeOf(err), message: err instanceof Error ? err.message : "", ms };
}

describe("an answer cut mid-body by the engine's connection", () => {
  it("get, list and snapshots.create fail UNAVAILABLE (ECONNRESET) at once; the next call works", async () => {
    const vm = await provider.instances.boot(baseImage());
    const cases = {
      get: [/^GET \/(v[0-9.]+\/)?containers\/[0-9a-f]+\/json/, () => provider.instances.get(vm.id)],
      list: [/^GET \/(v[0-9.]+\/)?containers\/json/, () => provider.instances.list()],
      // A long call: bounded by liveness pings, which the engine behind the proxy answers.
      "snapshots.create": [/^POST \/(v[0-9.]+\/)?commit/, () => provider.snapshots.create(vm.id)],
    } as const;
    for (const [name, [request, call]] of Object.entries(cases)) {
      const r = await withCut(request, call);
      log[`${name}Ms`] = r.ms;
      expect(r.code, `${name}: ${r.message}`).toBe("UNAVAILABLE");
      expect(r.message, name).toMatch(/^Docker engine unreachable \(ECONNRESET\)\. /);
      // The connection is gone, the engine is not: the same provider goes on.
      expect((await provider.instances.get(vm.id)).status, name).toBe("ready");
    }
    expect((await provider.instances.exec(vm.id, ["echo", "after"])).stdout).toBe("after\n");
    await provider.instances.terminate(vm.id);
  });
});
