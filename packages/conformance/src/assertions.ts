import { AssertionError } from "node:assert";
import type { VMErrorCode } from "@vm/core";
import { isVMError } from "@vm/provider-kit";

function describeError(err: unknown): string {
  if (isVMError(err)) return `VMError ${err.code} (${err.message})`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * Resolve when `action` rejects with a `VMError` carrying one of `codes`; fail otherwise
 * (including when it resolves). Returns the error for further checks.
 */
/** `expectVMError`, with `what` (e.g. `"execStream"`) leading the failure message: which of several calls failed. */
export async function expectVMErrorFrom(what: string, action: () => unknown, ...codes: VMErrorCode[]): Promise<Error> {
  try {
    return await expectVMError(action, ...codes);
  } catch (err) {
    if (err instanceof AssertionError) err.message = `${what}: ${err.message}`;
    throw err;
  }
}

export async function expectVMError(action: () => unknown, ...codes: VMErrorCode[]): Promise<Error> {
  let value: unknown;
  try {
    value = await action();
  } catch (err) {
    if (isVMError(err) && codes.includes(err.code)) return err;
    throw new AssertionError({
      message: `expected a VMError with code ${codes.join(" or ")}, got ${describeError(err)}`,
      actual: isVMError(err) ? err.code : describeError(err),
      expected: codes.join(" | "),
      operator: "rejects",
    });
  }
  throw new AssertionError({
    message: `expected a VMError with code ${codes.join(" or ")}, but the call resolved`,
    actual: value,
    expected: codes.join(" | "),
    operator: "rejects",
  });
}

/**
 * Fail unless `err` is a `VMError` with one of `codes` (for errors already caught).
 */
export function assertVMErrorCode(err: unknown, ...codes: VMErrorCode[]): void {
  if (isVMError(err) && codes.includes(err.code)) return;
  throw new AssertionError({
    message: `expected a VMError with code ${codes.join(" or ")}, got ${describeError(err)}`,
    actual: isVMError(err) ? err.code : describeError(err),
    expected: codes.join(" | "),
    operator: "rejects",
  });
}

/**
 * Poll `probe` until it returns a non-undefined value, or fail with `what` after `timeoutMs`.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new AssertionError({ message: `timed out waiting for: ${what}${last === undefined ? "" : ` (last error: ${describeError(last)})`}` });
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}
