import type { VMErrorCode, VMErrorShape } from "@vm/core";

/**
 * Every code a `VMError` can carry, in one `as const` list (the union lives in `@vm/core`).
 */
export const VM_ERROR_CODES = [
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "INVALID_ARGUMENT",
  "PERMISSION_DENIED",
  "UNAUTHENTICATED",
  "RATE_LIMITED",
  "TIMEOUT",
  "ABORTED",
  "UNAVAILABLE",
  "CONFLICT",
  "RESOURCE_EXHAUSTED",
  "UNSUPPORTED",
  "INTERNAL",
] as const satisfies readonly VMErrorCode[];

// Compile-time proof that the list and the @vm/core union are the same set.
type Missing = Exclude<VMErrorCode, (typeof VM_ERROR_CODES)[number]>;
const _exhaustive: [Missing] extends [never] ? true : Missing = true;
void _exhaustive;

/**
 * Options for `new VMError()`.
 *
 * @example
 * ```ts
 * import { VMError, type VMErrorOptions } from "@vm/provider-kit";
 * const options: VMErrorOptions = { provider: "docker", operation: "instances.get" };
 * throw new VMError("NOT_FOUND", "instance abc not found", options);
 * ```
 */
export interface VMErrorOptions {
  provider?: string;
  operation?: string;
  cause?: unknown;
  /** For `RATE_LIMITED`: the backend's `Retry-After`, in milliseconds. */
  retryAfterMs?: number;
}

// A registry symbol, so the guard recognises errors from another copy of this package.
const VM_ERROR_BRAND: unique symbol = Symbol.for("@vm/provider-kit/VMError") as never;

/**
 * The one error class every provider throws. Branch on `code`, never on `message`.
 *
 * @example
 * ```ts
 * import { VMError, isVMError } from "@vm/provider-kit";
 * try {
 *   throw new VMError("NOT_FOUND", "snapshot snap_1 not found", { provider: "docker", operation: "snapshots.get" });
 * } catch (err) {
 *   if (isVMError(err) && err.code === "NOT_FOUND") console.log("missing");
 * }
 * ```
 */
export class VMError extends Error implements VMErrorShape {
  override readonly name = "VMError" as const;
  readonly code: VMErrorCode;
  readonly provider?: string;
  readonly operation?: string;
  declare readonly cause?: unknown;
  /** For `RATE_LIMITED`: how long the backend asked to wait before the next try (its `Retry-After`), when it said so. */
  declare readonly retryAfterMs?: number;
  readonly [VM_ERROR_BRAND] = true;

  constructor(code: VMErrorCode, message: string, options: VMErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.provider !== undefined) this.provider = options.provider;
    if (options.operation !== undefined) this.operation = options.operation;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  override toString(): string {
    const where = [this.provider, this.operation].filter(Boolean).join(".");
    return `VMError [${this.code}]${where ? ` ${where}` : ""}: ${this.message}`;
  }
}

/**
 * True for any `VMError`, including one thrown by a duplicate install of this package
 * (it does not rely on `instanceof`).
 *
 * @example
 * ```ts
 * import { isVMError } from "@vm/provider-kit";
 * function codeOf(err: unknown) {
 *   return isVMError(err) ? err.code : "INTERNAL";
 * }
 * ```
 */
export function isVMError(value: unknown): value is VMErrorShape {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<PropertyKey, unknown>;
  if (candidate[VM_ERROR_BRAND] === true) return true;
  return (
    candidate.name === "VMError" &&
    typeof candidate.message === "string" &&
    typeof candidate.code === "string" &&
    (VM_ERROR_CODES as readonly string[]).includes(candidate.code)
  );
}

/**
 * True when `value` is a `VMError` with one of the given codes, narrowing `code` to them (the
 * other fields are those of any `VMError`). Codes come as arguments or as one array.
 *
 * @example
 * ```ts
 * import { hasVMErrorCode } from "@vm/provider-kit";
 * function retryAfter(err: unknown): number | undefined {
 *   if (hasVMErrorCode(err, ["RATE_LIMITED", "UNAVAILABLE"])) return err.retryAfterMs ?? 1_000; // err.code: "RATE_LIMITED" | "UNAVAILABLE"
 *   return undefined;
 * }
 * ```
 */
export function hasVMErrorCode<const C extends VMErrorCode>(value: unknown, codes: readonly C[]): value is VMErrorShape & { readonly code: C };
export function hasVMErrorCode<const C extends VMErrorCode>(value: unknown, ...codes: C[]): value is VMErrorShape & { readonly code: C };
export function hasVMErrorCode(value: unknown, ...codes: (VMErrorCode | readonly VMErrorCode[])[]): boolean {
  // Narrows to the shape, not the class: like isVMError, it also accepts a duplicate install's
  // VMError and a structured-cloned one, which are not instances of this class.
  return isVMError(value) && codes.flat().includes(value.code);
}
