import { VMError, isVMError } from "../errors.js";
import type { ErrorContext } from "../validate.js";

/**
 * How long one file operation may take when the caller gives no `timeoutMs`: 30 minutes. It is
 * there so that nothing in the files service waits for ever (an engine or a VM that stops
 * answering), and is generous enough for a 1 GiB file over a slow link (1 GiB at 1 MB/s is
 * about 18 minutes).
 */
export const DEFAULT_FILE_TIMEOUT_MS = 30 * 60 * 1000;

/**
 * The bound of one file call (see `fileCallBound`): the caller's signal and one deadline for
 * all the steps (execs, requests) the call makes.
 */
export interface FileCallBound {
  /** The whole call's limit in ms (the caller's `timeoutMs`, or the default). */
  readonly timeoutMs: number;
  /**
   * Options for the next exec: `signal()` (the caller's signal or the deadline) and, when the
   * caller gave a `timeoutMs`, the time left. Throws `ABORTED` when the caller's signal fired,
   * `TIMEOUT` when no time is left, so no step starts after either. The signal makes the
   * deadline hold in the client too (a provider that counts `timeoutMs` in the VM alone would
   * let a slow transport run past it) and kills the command at the default deadline, while an
   * exec without `timeoutMs` keeps the provider's own default HTTP bound (e.g. Morph's
   * `execTimeoutMs`), which is shorter than `DEFAULT_FILE_TIMEOUT_MS`.
   */
  step(): { signal: AbortSignal; timeoutMs?: number };
  /**
   * A signal that fires on the caller's abort or at the deadline, for work an exec does not
   * bound (an HTTP request); `reason()` then tells which.
   */
  signal(): AbortSignal;
  /** The error to report once `signal()` fired: `ABORTED` or `TIMEOUT`. */
  reason(): VMError;
  /**
   * Whether the call itself was stopped (the caller aborted, or its deadline passed), as
   * opposed to a step's own failure (e.g. a provider's HTTP timeout, which has its own kill).
   */
  stopped(): boolean;
  /**
   * What a step's failure becomes: a step stopped by the call's deadline (its own `TIMEOUT`,
   * or `ABORTED` by the deadline's signal) is the whole call's `TIMEOUT`; anything else
   * (including the caller's abort) is returned as it is.
   */
  translate(err: unknown): unknown;
}

/**
 * Starts the bound of one file call from its (already validated) `{ signal, timeoutMs }`.
 */
export function fileCallBound(options: { signal?: AbortSignal; timeoutMs?: number } | undefined, ctx: ErrorContext, path: string): FileCallBound {
  const timeoutMs = options?.timeoutMs ?? DEFAULT_FILE_TIMEOUT_MS;
  const callerSignal = options?.signal;
  const deadline = Date.now() + timeoutMs;
  const where = `${ctx.operation} ${JSON.stringify(path)}`;
  const timedOut = (cause?: unknown) =>
    new VMError("TIMEOUT", `${where}: did not finish within ${timeoutMs} ms (timeoutMs); its work in the instance was stopped`, { ...ctx, cause });
  const aborted = () => new VMError("ABORTED", `${where}: aborted`, { ...ctx, cause: callerSignal?.reason });
  let combined: AbortSignal | undefined;
  // The deadline's own signal counts, not only the clock: a timer may fire while the event
  // loop's clock still reads a hair before the deadline (a loaded CI run saw a step ABORTED by
  // it reported as ABORTED, not TIMEOUT).
  const deadlinePassed = () => Date.now() >= deadline || (combined?.aborted === true && callerSignal?.aborted !== true);
  return {
    timeoutMs,
    step() {
      if (callerSignal?.aborted) throw aborted();
      const left = deadline - Date.now();
      if (left <= 0) throw timedOut();
      return options?.timeoutMs === undefined ? { signal: this.signal() } : { signal: this.signal(), timeoutMs: left };
    },
    signal() {
      if (combined === undefined) {
        // AbortSignal.timeout's timer does not keep the process alive and needs no clearing.
        const timer = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
        combined = callerSignal ? AbortSignal.any([callerSignal, timer]) : timer;
      }
      return combined;
    },
    reason() {
      return callerSignal?.aborted ? aborted() : timedOut();
    },
    stopped() {
      return callerSignal?.aborted === true || deadlinePassed();
    },
    translate(err) {
      if (!isVMError(err) || (err.code !== "TIMEOUT" && err.code !== "ABORTED")) return err;
      if (callerSignal?.aborted) return err.code === "ABORTED" ? err : aborted();
      return deadlinePassed() ? timedOut(err) : err;
    },
  };
}
