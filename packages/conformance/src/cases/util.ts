import { strict as assert } from "node:assert";
import type { VMInstance } from "@vm/core";
import type { CaseContext } from "../types.js";

/**
 * `timeoutMs` of the cases whose command must start (and write its pid file) before the timeout
 * fires: long enough for a loaded machine to start it, short next to the sleep it kills.
 */
export const TIMEOUT_MS = 5000;

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
