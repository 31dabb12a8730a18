import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createDockerVMProvider } from "@vm/provider-docker";
import { inject } from "vitest";
import { EMULATOR_LABEL, createMorphEmulator, emulatorImages, type MorphEmulator } from "../src/index.js";

declare module "vitest" {
  export interface ProvidedContext {
    baseImage: string;
    minimalImage: string;
  }
}

// What the emulator's integration tests share.
export const run = promisify(execFile);

/** An emulator in this process over the real Docker backend, its resources labelled `session`. */
export async function startTestEmulator(apiKey: string, session: string): Promise<MorphEmulator> {
  const emulator = createMorphEmulator({
    apiKey,
    backend: createDockerVMProvider({ labels: { [EMULATOR_LABEL]: session } }),
    images: emulatorImages({ minimal: inject("minimalImage"), base: inject("baseImage") }),
    // Only errors (500s, failed TTL actions): what a failing test needs to say why.
    log: (line) => {
      if (/^(error in|unhandled|ttl .* failed)/.test(line)) console.error(`[emulator ${session}] ${line}`);
    },
  });
  await emulator.listen();
  return emulator;
}

/** Containers and images still labelled `session`. */
export async function labelled(session: string): Promise<string[]> {
  const filter = `label=${EMULATOR_LABEL}=${session}`;
  const containers = (await run("docker", ["ps", "-aq", "--filter", filter])).stdout.split("\n").filter(Boolean);
  const images = (await run("docker", ["images", "-q", "--filter", filter])).stdout.split("\n").filter(Boolean);
  return [...containers, ...images];
}

/** Removes what is still labelled `session` (a leak the caller then reports) and returns it. */
export async function removeLeftovers(session: string): Promise<string[]> {
  const left = await labelled(session);
  if (left.length > 0) await run("docker", ["rm", "-f", ...left]).catch(() => run("docker", ["rmi", "-f", ...left]).catch(() => undefined));
  return left;
}

/** Polls `probe` until it gives a value (events, not fixed sleeps: the machine is loaded). */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Raw API calls with the Bearer key: the status and the parsed body (`emulator` is read at each call). */
export function rawApi(emulator: () => MorphEmulator, key: string) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${emulator().apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
  };
}
