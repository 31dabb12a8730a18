import { randomUUID } from "node:crypto";
import type { VMProvider } from "@vm/core";
import type { DockerVMProviderOptions } from "@vm/provider-docker";
import { createDockerVMProvider } from "@vm/provider-docker";
import { isVMError } from "@vm/provider-kit";
import Dockerode from "dockerode";
import { inject } from "vitest";

/** Label on everything one reliability test file creates, so its cleanup removes exactly that. */
export const RUN_LABEL = "vm.test.reliability-run";

export function baseImage(): string {
  return inject("baseImage") ?? process.env.VM_BASE_IMAGE ?? "vm-base:latest";
}

/** Both test images: the Morph emulator serves `minimal` as `morphvm-minimal` (no Node, no PM2) and `base` as `vm-base`. */
export function testImages(): { minimal: string; base: string } {
  return { minimal: inject("minimalImage") ?? process.env.VM_MINIMAL_IMAGE ?? "vm-minimal:latest", base: baseImage() };
}

interface Modem {
  dial: (options: unknown, callback: unknown) => unknown;
}

/**
 * A Docker provider whose every engine request is counted (docker-modem's `dial` is the one
 * place every Dockerode call goes through), so a test can prove that a rejected input made
 * no call at all. `cleanup()` removes every container and image of this run, even after a
 * failure.
 */
export function createCountedDockerProvider(options: DockerVMProviderOptions = {}) {
  const runId = randomUUID();
  const docker = new Dockerode();
  const modem = (docker as unknown as { modem: Modem }).modem;
  const dial = modem.dial.bind(modem);
  let calls = 0;
  modem.dial = (opts: unknown, callback: unknown) => {
    calls++;
    return dial(opts, callback);
  };
  const provider: VMProvider = createDockerVMProvider({ docker, ...options, labels: { [RUN_LABEL]: runId } });
  async function cleanup(): Promise<void> {
    const filters = { label: [`${RUN_LABEL}=${runId}`] };
    const containers = await docker.listContainers({ all: true, filters });
    await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
    const images = await docker.listImages({ filters });
    for (const image of images.sort((a, b) => b.Created - a.Created)) {
      await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
    }
  }
  return { provider, docker, runId, calls: () => calls, cleanup };
}

/** Fast-check seed: VM_FC_SEED when set (to replay a failure), otherwise a fresh one, logged. */
export function fcSeed(label: string): number {
  const fromEnv = process.env.VM_FC_SEED;
  const seed = fromEnv !== undefined && fromEnv !== "" ? Number(fromEnv) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  console.log(`[reliability] ${label}: fast-check seed ${seed} (replay with VM_FC_SEED=${seed})`);
  return seed;
}

/** The error's code if it is a VMError, else a description of what it is. */
export function codeOf(err: unknown): string {
  if (isVMError(err)) return err.code;
  return `not a VMError: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
}

/** Runs `work` and returns the VMError code it rejected with, or "ok". */
export async function outcome(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
    return "ok";
  } catch (err) {
    return codeOf(err);
  }
}

/**
 * How `call` failed: its VMError code and message, or `{ code: "ok" }` when it did not fail.
 */
export async function failureOf(call: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  return call().then(
    () => ({ code: "ok", message: "" }),
    (err: unknown) => ({ code: codeOf(err), message: isVMError(err) ? err.message : String(err) }),
  );
}
