import { strict as assert } from "node:assert";
import type { VMInstance } from "@vm/core";

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
