import { randomUUID } from "node:crypto";
import type { VMProvider } from "@vm/core";
import { DEFAULT_VM_RESOURCES } from "@vm/provider-kit";
import { createMorphVMProvider } from "@vm/provider-morph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMorphEmulator, type ReliabilityEmulator } from "./morph-emulator.js";
import { testImages } from "./support.js";

// A machine too small for its work fails offline the way it would on Morph: the emulator
// enforces the size the Morph provider asks for, so a process that needs more memory than the
// VM has is OOM-killed, and the same work fits the default size.
let emulator: ReliabilityEmulator;
let provider: VMProvider;

// Allocates (and touches) 160 MB; node itself takes about 40 MB more.
const ALLOCATE = ["node", "-e", "const a = []; for (let i = 0; i < 160; i++) a.push(Buffer.alloc(1 << 20, 1)); console.log('allocated', a.length)"];

beforeAll(async () => {
  emulator = await startMorphEmulator(testImages());
  provider = createMorphVMProvider({ baseUrl: emulator.apiUrl, apiKey: emulator.apiKey });
}, 60_000);

afterAll(async () => {
  await emulator?.stop();
}, 60_000);

describe("resources through the Morph provider on the emulator", () => {
  it("a 64 MB VM is OOM-killed (exit 137) by work the default size runs", async () => {
    const metadata = { "vm-resources-test": randomUUID() };
    // The work is a node program: the emulator's vm-base image has Node (morphvm-minimal, like Morph's, has none).
    const snapshot = await provider.snapshots.fromImage("vm-base", { metadata, resources: { memoryMb: 64 } });
    try {
      expect(snapshot.resources).toEqual({ ...DEFAULT_VM_RESOURCES, memoryMb: 64 });
      {
        await using small = await provider.instances.boot(snapshot.id, { metadata });
        expect((await provider.instances.get(small.id)).resources).toEqual({ ...DEFAULT_VM_RESOURCES, memoryMb: 64 });
        const result = await provider.instances.exec(small.id, ALLOCATE);
        expect(result.stdout).toBe("");
        expect(result.exit_code).toBe(137);
      }
      {
        await using roomy = await provider.instances.boot(snapshot.id, { metadata, resources: { memoryMb: DEFAULT_VM_RESOURCES.memoryMb } });
        expect(roomy.resources).toEqual(DEFAULT_VM_RESOURCES);
        expect(await provider.instances.exec(roomy.id, ALLOCATE)).toEqual({ stdout: "allocated 160\n", stderr: "", exit_code: 0 });
      }
    } finally {
      await provider.snapshots.delete(snapshot.id);
    }
  }, 60_000);
});
