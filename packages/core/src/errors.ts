/**
 * Every failure a provider reports carries one of these codes. Callers branch on `code`,
 * never on message text.
 *
 * - `NOT_FOUND`: the instance, snapshot, image, file or process does not exist.
 * - `ALREADY_EXISTS`: the thing being created is already there.
 * - `INVALID_ARGUMENT`: the input was rejected before any work was done.
 * - `PERMISSION_DENIED`: the caller (or the user inside the VM) may not do this.
 * - `UNAUTHENTICATED`: missing or wrong credentials.
 * - `RATE_LIMITED`: the backend asked us to slow down.
 * - `TIMEOUT`: the operation ran past its deadline; the work was stopped.
 * - `ABORTED`: the caller's `AbortSignal` fired; the work was stopped.
 * - `UNAVAILABLE`: the backend could not be reached or answered 5xx.
 * - `CONFLICT`: the resource is in a state that forbids this (e.g. in use).
 * - `RESOURCE_EXHAUSTED`: a resource ran out: the VM's file system is full (`ENOSPC`, a
 *   quota), or the engine's disk. Retrying as-is fails again; free space first.
 * - `UNSUPPORTED`: this provider does not have the capability.
 * - `INTERNAL`: a bug or an answer we could not understand.
 *
 * @example
 * ```ts
 * import type { VMErrorCode } from "@vm/core";
 * const retryable: VMErrorCode[] = ["RATE_LIMITED", "UNAVAILABLE"];
 * ```
 */
export type VMErrorCode =
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "INVALID_ARGUMENT"
  | "PERMISSION_DENIED"
  | "UNAUTHENTICATED"
  | "RATE_LIMITED"
  | "TIMEOUT"
  | "ABORTED"
  | "UNAVAILABLE"
  | "CONFLICT"
  | "RESOURCE_EXHAUSTED"
  | "UNSUPPORTED"
  | "INTERNAL";

/**
 * The shape of every error a provider throws. The runtime class lives in `@vm/provider-kit`
 * (`VMError`, with the `isVMError()` guard); this type lets code that depends only on
 * `@vm/core` read errors without importing runtime code.
 *
 * @example
 * ```ts
 * import type { VMErrorShape } from "@vm/core";
 * function describe(err: VMErrorShape): string {
 *   return `${err.provider ?? "?"}.${err.operation ?? "?"} failed: ${err.code}`;
 * }
 * ```
 */
export interface VMErrorShape extends Error {
  readonly name: "VMError";
  readonly code: VMErrorCode;
  /** The provider's `name`, e.g. `"docker"` or `"morph"`. */
  readonly provider?: string;
  /** The contract operation that failed, e.g. `"files.readFile"`. */
  readonly operation?: string;
  /** The underlying transport or engine error, kept for debugging. */
  readonly cause?: unknown;
  /**
   * For `RATE_LIMITED`: how long the backend asked the caller to wait before trying again
   * (its `Retry-After`), in milliseconds, when it said so.
   */
  readonly retryAfterMs?: number;
}
