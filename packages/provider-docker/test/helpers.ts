import { randomUUID } from "node:crypto";
import Dockerode from "dockerode";
import { inject } from "vitest";
import { DOCKER_LABELS, createDockerVMProvider } from "../src/index.js";
import type { DockerVMProviderOptions } from "../src/index.js";

/** Label put on everything one test file creates, so afterAll removes exactly that. */
export const TEST_RUN_LABEL = "vm.test.docker-run";

export function baseImage(): string {
  return inject("baseImage") ?? process.env.VM_BASE_IMAGE ?? "vm-base:latest";
}

/**
 * A provider whose every container/image carries a per-file run label, plus a cleanup that
 * removes all of them (containers first, then images, newest first) even when tests failed.
 */
export function createTestProvider(options: DockerVMProviderOptions = {}) {
  const runId = randomUUID();
  const labels = { [TEST_RUN_LABEL]: runId };
  const docker = new Dockerode();
  const provider = createDockerVMProvider({ docker, ...options, labels: { ...labels, ...(options.labels ?? {}) } });
  async function leftovers() {
    const filter = { label: [`${TEST_RUN_LABEL}=${runId}`] };
    const containers = await docker.listContainers({ all: true, filters: filter });
    const images = await docker.listImages({ filters: filter });
    return { containers, images };
  }
  async function cleanup(): Promise<{ containers: number; images: number }> {
    const { containers, images } = await leftovers();
    await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
    // Children before parents: newest first, retried, because committed images chain.
    const sorted = [...images].sort((a, b) => b.Created - a.Created);
    for (let round = 0; round < 3; round++) {
      for (const image of sorted) {
        for (const tag of image.RepoTags ?? []) await docker.getImage(tag).remove().catch(() => undefined);
        await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
      }
    }
    return { containers: containers.length, images: images.length };
  }
  return { provider, docker, runId, labels, cleanup, leftovers };
}

export { DOCKER_LABELS };

export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
