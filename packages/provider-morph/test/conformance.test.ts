import { describeProviderConformance } from "@vm/conformance";
import type { VMProvider } from "@vm/core";
import { createMorphVMProvider, MORPH_CAPABILITIES } from "@vm/provider-morph";
import { TEST_API_KEY, startEmulatorContainer, sweepSession, type TestEmulator } from "./support/emulator.js";

// The Morph provider against the Morph API emulator, started as a container through
// testcontainers (its instances are real sibling containers on the same engine).
let emulator: TestEmulator | undefined;

describeProviderConformance({
  name: "morph",
  capabilities: MORPH_CAPABILITIES,
  async setup() {
    emulator = await startEmulatorContainer();
    const provider: VMProvider = createMorphVMProvider({ baseUrl: emulator.apiUrl, apiKey: TEST_API_KEY });
    // The suite's PM2 cases need Node and PM2: the emulator's `vm-base` image has them.
    // `morphvm-minimal` (no Node, no PM2, like Morph Cloud's) would need installPM2 first, an
    // upload of ~47 MiB through ~700 exec requests (about 2 minutes here): that path is proven
    // once, in install-pm2.test.ts, instead of on every conformance run.
    const snapshot = await provider.snapshots.fromImage("vm-base", { metadata: { purpose: "conformance-base" } });
    return {
      provider,
      snapshotId: snapshot.id,
      imageId: "vm-base",
      async teardown() {
        const running = emulator;
        emulator = undefined;
        await running?.stop();
      },
    };
  },
  async leftovers() {
    // Everything the emulator made carries its session label; after the run only the base
    // snapshot's image may remain (it is removed by teardown).
    if (!emulator) return [];
    const left = await sweepSessionDryRun(emulator.session);
    return left;
  },
}, process.env.MORPH_CONFORMANCE_ONLY ? { only: (id) => new RegExp(process.env.MORPH_CONFORMANCE_ONLY!).test(id) } : {});

async function sweepSessionDryRun(session: string): Promise<string[]> {
  const { execFile } = await import("node:child_process");
  const { promisify } = await import("node:util");
  const run = promisify(execFile);
  const out = await run("docker", ["ps", "-aq", "--filter", `label=morph-emulator.session=${session}`, "--filter", "label=dev.vm.kind=instance"]);
  return out.stdout.split("\n").filter(Boolean).map((id) => `instance container ${id} still exists`);
}

void sweepSession;
