// terminate() racing a boot(): once terminate has answered (whatever it answered), the boot
// must not resolve with a live instance, and nothing of it may be left in the engine. The
// terminate is started when the boot's container shows up in the engine (an event, not a
// sleep): once as soon as it is listed (created, maybe not started), once when it runs (the
// boot waits for readiness).
//
// The boots come from a snapshot whose init holds "running, not ready" for 3 s: the init runs
// `pm2 resurrect` before it says ready whenever a PM2 dump exists, and the snapshot has a dump
// and a stand-in `pm2` (first on PATH) that sleeps. Without that window the race depended on
// timing: on a fast boot every terminate came after ready, and the positive control failed.
import { isVMError } from "@vm/provider-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_RUN_LABEL, baseImage, createTestProvider, waitFor } from "./helpers.js";

const { provider, docker, runId, cleanup } = createTestProvider();
let slowBoot = "";
beforeAll(async () => {
  const vm = await provider.instances.boot(baseImage(), { metadata: { race: "setup" } });
  await provider.files.writeFileAtomic(vm.id, "/usr/local/sbin/pm2", "#!/bin/sh\nsleep 3\n", { mode: "755" });
  await provider.files.writeFileAtomic(vm.id, "/var/lib/vm/pm2/dump.pm2", "[]", { createDirs: true });
  slowBoot = (await provider.snapshots.create(vm.id, { metadata: { race: "slow-boot" } })).id;
  await provider.instances.terminate(vm.id);
}, 300_000);
afterAll(async () => {
  await cleanup();
});

const ITERATIONS = 4;

function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "resolved",
    (err: unknown) => (isVMError(err) ? err.code : `${(err as Error).name}: ${(err as Error).message}`),
  );
}

describe("terminate during a boot", () => {
  for (const when of ["listed", "running"] as const) {
    it(`never leaves a ready instance once terminate answered (terminate when the container is ${when})`, { timeout: 300_000 }, async () => {
      let raced = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const tag = `${when}-${i}`;
        const boot = provider.instances.boot(slowBoot, { metadata: { race: tag } });
        let terminating = false;
        let settledFirst = false;
        const booted = outcome(boot).finally(() => (settledFirst = !terminating));
        const filter = { label: [`${TEST_RUN_LABEL}=${runId}`, `dev.vm.meta.race=${tag}`] };
        const container = await waitFor(async () => {
          const found = await docker.listContainers({ all: true, filters: filter });
          const c = found[0];
          if (c === undefined) return undefined;
          return when === "listed" || c.State === "running" ? c : undefined;
        }, 120_000, 20);
        terminating = true;
        const terminated = await outcome(provider.instances.terminate(container.Id));
        const result = await booted;
        const left = await docker.listContainers({ all: true, filters: filter });
        // The boot was already done when terminate began: a ready instance, then terminated.
        if (settledFirst) {
          expect(left.length).toBe(0);
          continue;
        }
        raced++;
        if (result === "resolved") {
          const vm = await boot;
          await provider.instances.terminate(vm.id).catch(() => undefined);
        }
        expect({ i, terminated, boot: result, left: left.length }).toEqual({ i, terminated, boot: result === "resolved" ? "rejected" : result, left: 0 });
        expect(["ABORTED", "NOT_FOUND", "CONFLICT"]).toContain(result);
      }
      // Positive control: terminate did overlap the boot (else this test proved nothing).
      expect(raced).toBeGreaterThan(0);
    });
  }
});
