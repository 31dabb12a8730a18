import type { RetryOptions } from "ky";
import { RETRY_STATUSES, type RetryPolicy } from "./retry.js";

// Every method: which requests may be re-sent is the request's own `idempotent` flag (a GET, a
// DELETE, a state-setting POST such as pause), not its method.
const ALL_METHODS: NonNullable<RetryOptions["methods"]> = ["get", "post", "put", "patch", "delete", "head", "options"];

/** ky's `retry` and `throwHttpErrors` options for one call. */
export interface KyRetry {
  retry: RetryOptions;
  /** Only the statuses ky retries are thrown (as HTTPError) so its retry sees them; other answers come back as they are. */
  throwHttpErrors: boolean | ((status: number) => boolean);
}

/**
 * Our retry policy in ky's terms: an idempotent request is re-sent by ky on 429/502/503/504
 * and on a network error before the answer (never on a timeout), waiting the server's
 * `Retry-After` on any of those statuses, else `baseDelayMs * 2^(n-1)`, both capped at
 * `maxDelayMs`; ky's wait ends with the call's signal. `attemptsDone` counts the attempts an
 * outer re-send already used (a body that broke off after its headers, out of ky's reach), so
 * the budget and the backoff go on from there. A request that is not idempotent is never re-sent.
 *
 * @example
 * ```ts
 * kyRetryOptions(resolveRetryPolicy(), { idempotent: true, attemptsDone: 0 }).retry.limit; // 3
 * ```
 */
export function kyRetryOptions(policy: RetryPolicy, call: { idempotent: boolean; attemptsDone: number }): KyRetry {
  const limit = call.idempotent ? Math.max(0, policy.attempts - call.attemptsDone - 1) : 0;
  if (limit === 0) return { retry: { limit: 0 }, throwHttpErrors: false };
  return {
    retry: {
      limit,
      methods: ALL_METHODS,
      statusCodes: [...RETRY_STATUSES],
      afterStatusCodes: [...RETRY_STATUSES],
      maxRetryAfter: policy.maxDelayMs,
      backoffLimit: policy.maxDelayMs,
      delay: (n) => policy.baseDelayMs * 2 ** (call.attemptsDone + n - 1),
      retryOnTimeout: false,
    },
    throwHttpErrors: (status) => RETRY_STATUSES.includes(status),
  };
}
