import { describeProviderConformance } from "@vm/conformance";
import type { VMProvider } from "@vm/core";
import { inject } from "vitest";
import { createMorphVMProvider, MORPH_CAPABILITIES } from "@vm/provider-morph";
import { TEST_API_KEY, startEmulatorContainer, sweepSession, type TestEmulator } from "./support/emulator.js";

// The Morph provider against the Morph API emulator, started as a container through
// testcontainers (its instances are real sibling containers on the same engine).
let emulator: TestEmulator | undefined;

describeProviderConformance({
  name: "morph",
  capabilities: MORPH_CAPABILITIES,
  async setup() {
    emulator = await startEmulatorContainer(inject("baseImage"));
    const provider: VMProvider = createMorphVMProvider({ baseUrl: emulator.apiUrl, apiKey: TEST_API_KEY });
    const snapshot = await provider.snapshots.fromImage("morphvm-minimal", { metadata: { purpose: "conformance-base" } });
    return {
      provider,
      snapshotId: snapshot.id,
      imageId: "morphvm-minimal",
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
