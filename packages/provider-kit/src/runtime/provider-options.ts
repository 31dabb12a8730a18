import type { Logger } from "@vm/core";
import { VMError } from "../errors.js";
import type { ErrorContext } from "../validate.js";

/**
 * `undefined`, or a `Logger` (an object with debug, info, warn and error methods); anything
 * else is `INVALID_ARGUMENT` when the provider is created, not an `INTERNAL` on every later call.
 *
 * @example
 * ```ts
 * import { assertLogger } from "@vm/provider-kit";
 * assertLogger(console, { provider: "mine", operation: "createMyProvider" });
 * ```
 */
export function assertLogger(logger: unknown, ctx: ErrorContext): asserts logger is Logger | undefined {
  if (logger === undefined) return;
  const methods = logger as Record<string, unknown> | null;
  if ((typeof methods !== "object" && typeof methods !== "function") || methods === null || !["debug", "info", "warn", "error"].every((m) => typeof methods[m] === "function")) {
    throw new VMError("INVALID_ARGUMENT", "logger must be an object with debug, info, warn and error methods", ctx);
  }
}
