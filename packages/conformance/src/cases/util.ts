import { strict as assert } from "node:assert";
import type { VMInstance } from "@vm/core";
import { eventually } from "../assertions.js";
import type { CaseContext } from "../types.js";

/**
 * `timeoutMs` of the cases whose command must start (and write its pid file) before the timeout
 * fires: long enough for a loaded machine to start it, short next to the sleep it kills.
 */
export const TIMEOUT_MS = 5000;

/**
 * The bound on waiting for something a working provider does at once: a command to start (its
 * marker file to appear), or a call to settle after its signal fired or its `timeoutMs` ran
 * out. A broken provider fails the case here, with what it missed, not at the per-case timeout.
 */
export const SETTLE_MS = 3 * TIMEOUT_MS;

/** Settles like `call`, or rejects (an assertion naming `what`) when it has not settled within `ms`. */
export async function settlesWithin<T>(what: string, call: Promise<T>, ms: number = SETTLE_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new assert.AssertionError({ message: `${what} did not settle within ${ms} ms` })), ms);
  });
  try {
    return await Promise.race([call, stuck]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until `file` exists and is not empty in the instance, asked through exec only (so it
 * holds even where exec and files are different paths to the VM); fails after `SETTLE_MS`.
 */
export async function commandStarted(ctx: CaseContext, instanceId: string, file: string): Promise<void> {
  await eventually(`the command started (${file} written)`, async () => ((await ctx.sh(instanceId, '[ -s "$1" ]', [file])).exit_code === 0 ? true : undefined), {
    timeoutMs: SETTLE_MS,
    intervalMs: 100,
  });
}

/** A random id no provider has, for NOT_FOUND checks. */
export function missingId(kind: string): string {
  return `vmc-missing-${kind}-${Math.random().toString(36).slice(2, 10)}`;
}

export function assertIsoDate(value: unknown, what: string): void {
  assert.equal(typeof value, "string", `${what} must be an ISO-8601 string`);
  assert.ok(Number.isFinite(Date.parse(value as string)), `${what} must parse as a date, got ${JSON.stringify(value)}`);
}

export function assertHasMetadata(instance: Pick<VMInstance, "metadata">, expected: Readonly<Record<string, string>>, what: string): void {
  for (const [key, value] of Object.entries(expected)) {
    assert.equal(instance.metadata?.[key], value, `${what}: metadata ${key} must be ${JSON.stringify(value)}`);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The shared instance and a fresh scratch directory in it: how most file cases start. */
export async function sharedScratch(ctx: CaseContext): Promise<{ id: string; dir: string }> {
  const id = await ctx.sharedInstance();
  return { id, dir: await ctx.scratchDir() };
}

// Gone: `kill -0` fails. A zombie (state Z) says so: the VM's PID 1 does not reap orphans.
const PROCESS_STATE = 'kill -0 "$1" 2>/dev/null || { echo gone; exit 0; }; s=$(cat "/proc/$1/stat" 2>/dev/null) && s=${s##*) } && echo "${s%% *}"';

/**
 * Waits until process `pid` in the VM is gone. One left as a zombie names the `init-reaps`
 * assumption in the failure: the VM's init does not reap the orphans a kill leaves.
 */
export async function processGone(ctx: CaseContext, instanceId: string, pid: string, what: string, timeoutMs: number = SETTLE_MS): Promise<void> {
  let state = "";
  try {
    await eventually(
      what,
      async () => {
        state = (await ctx.sh(instanceId, PROCESS_STATE, [pid])).stdout.trim();
        return state === "gone" ? true : undefined;
      },
      { timeoutMs },
    );
  } catch (err) {
    if (state !== "Z") throw err;
    throw new assert.AssertionError({
      message: `${what}: process ${pid} was killed but stays a zombie: the VM's PID 1 does not reap orphans (assumption init-reaps; e.g. run containers with an init such as --init)`,
    });
  }
}

