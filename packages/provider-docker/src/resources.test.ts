import { DEFAULT_VM_RESOURCES } from "@vm/provider-kit";
import type Dockerode from "dockerode";
import { describe, expect, it } from "vitest";
import type { DockerContext } from "./context.js";
import { DOCKER_LABELS } from "./labels.js";
import { hostConfigFor, resourcesOf } from "./resources.js";

function contextWith(ncpu: number | undefined): DockerContext & { asked: () => number } {
  let asked = 0;
  const docker = { info: () => (asked++, Promise.resolve({ NCPU: ncpu })) } as unknown as Dockerode;
  return { docker, provider: "docker", network: undefined, logger: undefined, maxOutputBytes: 1, maxFileBytes: 1, bootTimeoutMs: 1, extraLabels: {}, asked: () => asked };
}

describe("hostConfigFor", () => {
  it("sets memory with no swap beyond it, and a CPU quota capped at the engine's CPUs (asked once)", async () => {
    const ctx = contextWith(2);
    expect(await hostConfigFor(ctx, { vcpus: 1, memoryMb: 64, diskMb: 256 }, "instances.boot")).toEqual({ NanoCpus: 1e9, Memory: 64 * 1024 * 1024, MemorySwap: 64 * 1024 * 1024 });
    expect((await hostConfigFor(ctx, { vcpus: 8, memoryMb: 2048, diskMb: 8192 }, "instances.boot")).NanoCpus).toBe(2e9);
    expect(ctx.asked()).toBe(1);
  });

  it("takes one CPU when the engine does not say", async () => {
    expect((await hostConfigFor(contextWith(undefined), { vcpus: 4, memoryMb: 128, diskMb: 700 }, "instances.boot")).NanoCpus).toBe(1e9);
  });
});

describe("resourcesOf", () => {
  it("reads the label, else the defaults (a snapshot made before the label boots with them)", () => {
    expect(resourcesOf({ [DOCKER_LABELS.resources]: '{"vcpus":1,"memoryMb":300,"diskMb":700}' })).toEqual({ vcpus: 1, memoryMb: 300, diskMb: 700 });
    expect(resourcesOf({})).toEqual(DEFAULT_VM_RESOURCES);
    expect(resourcesOf({ [DOCKER_LABELS.resources]: "" })).toEqual(DEFAULT_VM_RESOURCES);
    expect(resourcesOf(undefined)).toEqual(DEFAULT_VM_RESOURCES);
  });
});
