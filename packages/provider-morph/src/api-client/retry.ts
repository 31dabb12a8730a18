import { MORPH_DEFAULT_RETRY_ATTEMPTS, MORPH_DEFAULT_RETRY_BASE_DELAY_MS, MORPH_DEFAULT_RETRY_MAX_DELAY_MS } from "../defaults.js";

/**
 * Retry policy of the Morph client.
 *
 * @example
 * ```ts
 * import type { MorphRetryOptions } from "@vm/provider-morph";
 * const retry: MorphRetryOptions = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };
 * ```
 */
export interface MorphRetryOptions {
  /**
   * Total attempts including the first (1 disables retries).
   * @default MORPH_DEFAULT_RETRY_ATTEMPTS (4)
   */
  attempts?: number;
  /**
   * First backoff delay in ms, doubled each attempt.
   * @default MORPH_DEFAULT_RETRY_BASE_DELAY_MS (250)
   */
  baseDelayMs?: number;
  /**
   * Cap in ms for one backoff delay and for a server's `Retry-After`.
   * @default MORPH_DEFAULT_RETRY_MAX_DELAY_MS (10000)
   */
  maxDelayMs?: number;
}

/** Resolved retry policy. */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Statuses that mean "not done, try again later". */
export const RETRY_STATUSES: readonly number[] = [429, 502, 503, 504];

/** Fills in the defaults of a retry policy. */
export function resolveRetryPolicy(options: MorphRetryOptions = {}): RetryPolicy {
  return {
    attempts: Math.max(1, Math.floor(options.attempts ?? MORPH_DEFAULT_RETRY_ATTEMPTS)),
    baseDelayMs: Math.max(0, options.baseDelayMs ?? MORPH_DEFAULT_RETRY_BASE_DELAY_MS),
    maxDelayMs: Math.max(0, options.maxDelayMs ?? MORPH_DEFAULT_RETRY_MAX_DELAY_MS),
  };
}

/**
 * Parses `Retry-After` (delay-seconds or an HTTP-date) into milliseconds, or `undefined`.
 *
 * @example
 * ```ts
 * parseRetryAfter("2"); // 2000
 * ```
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** What happened on one attempt, as far as retrying is concerned. */
export interface AttemptOutcome {
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  /** Whether the request may be sent again as is (GET, DELETE, state-setting POSTs). */
  idempotent: boolean;
  /** HTTP status, when an answer arrived. */
  status?: number;
  /** The connection failed or was reset before an answer arrived. */
  networkError?: boolean;
  /** The answer's `Retry-After` header. */
  retryAfter?: string | null;
  /** The same hint already parsed (e.g. from a `RATE_LIMITED` error's `retryAfterMs`); wins over `retryAfter`. */
  retryAfterMs?: number;
}

/** The decision: retry after `delayMs`, or give up. */
export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/**
 * Decides whether to send a request again. Only idempotent requests are retried, only on
 * 429/502/503/504 or a network reset, only while attempts remain; the delay is the server's
 * `Retry-After` when given (capped), else exponential backoff.
 *
 * @example
 * ```ts
 * const policy = resolveRetryPolicy();
 * retryDecision({ attempt: 1, idempotent: true, status: 503 }, policy); // { retry: true, delayMs: 250 }
 * ```
 */
export function retryDecision(outcome: AttemptOutcome, policy: RetryPolicy): RetryDecision {
  if (!outcome.idempotent) return { retry: false };
  if (outcome.attempt >= policy.attempts) return { retry: false };
  const retryable =
    outcome.networkError === true || (outcome.status !== undefined && RETRY_STATUSES.includes(outcome.status));
  if (!retryable) return { retry: false };
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (outcome.attempt - 1));
  const hinted = outcome.retryAfterMs ?? parseRetryAfter(outcome.retryAfter);
  const delayMs = hinted === undefined ? backoff : Math.min(policy.maxDelayMs, hinted);
  return { retry: true, delayMs };
}
