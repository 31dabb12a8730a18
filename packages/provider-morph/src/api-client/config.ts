import type { Logger } from "@vm/core";
import { VMError, assertInteger, assertLogger, type ErrorContext } from "@vm/provider-kit";
import { MORPH_DEFAULT_MAX_RESPONSE_BYTES, MORPH_MAX_RESPONSE_BYTES_LIMIT } from "./body.js";
import { MORPH_DEFAULT_TIMEOUT_MS } from "../defaults.js";
import type { MorphRetryOptions } from "./retry.js";

/** Morph's public API: the spec's `servers` entry is `/api` on cloud.morph.so. */
export const MORPH_DEFAULT_BASE_URL = "https://cloud.morph.so/api";

/** Largest timeout a Node timer (and ky) takes: 2^31 - 1 ms, about 24.8 days. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** The client's options once checked, with their defaults. */
export interface ResolvedClientOptions {
  apiKey: string;
  baseUrl: string;
  /** `new URL(baseUrl).origin`: the one origin requests may go to. */
  origin: string;
  timeoutMs: number;
  retry: MorphRetryOptions | undefined;
  logger: Logger | undefined;
  maxResponseBytes: number;
}

function invalid(message: string, ctx: ErrorContext): never {
  throw new VMError("INVALID_ARGUMENT", message, ctx);
}

/**
 * Checks `baseUrl` and returns it without trailing slashes. The value itself never reaches
 * the message: a URL that does not parse may still hold a password.
 */
export function checkBaseUrl(raw: unknown, ctx: ErrorContext, what = "baseUrl"): { baseUrl: string; origin: string } {
  if (typeof raw !== "string") invalid(`${what} must be a string`, ctx);
  if (!URL.canParse(raw)) invalid(`${what} must be an absolute http(s) URL such as https://cloud.morph.so/api (it does not parse as a URL)`, ctx);
  const url = new URL(raw);
  if (url.protocol !== "http:" && url.protocol !== "https:") invalid(`${what} must be an http(s) URL (its scheme is ${JSON.stringify(url.protocol.slice(0, 20))})`, ctx);
  // Credentials in the URL would go out with every request and into every error that shows it.
  if (url.username !== "" || url.password !== "" || /^[a-z]+:\/\/[^/]*@/i.test(raw.trim())) {
    invalid(`${what} must not contain credentials (user:password@): pass the API key as apiKey or MORPH_API_KEY`, ctx);
  }
  if (url.search !== "" || url.hash !== "" || /[?#]/.test(raw)) invalid(`${what} must not have a query or a fragment`, ctx);
  return { baseUrl: url.href.replace(/\/+$/, ""), origin: url.origin };
}

/** Checks an API key: it goes into a header, so visible ASCII only (never echoed). */
function checkApiKey(raw: unknown, ctx: ErrorContext, what: string): string {
  if (typeof raw !== "string") invalid(`${what} must be a string`, ctx);
  if (!/^[\x21-\x7e]*$/.test(raw)) invalid(`${what} must be visible ASCII only (no spaces, line breaks or control characters)`, ctx);
  return raw;
}

function checkRetry(raw: unknown, ctx: ErrorContext): MorphRetryOptions | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) invalid("retry must be an object", ctx);
  const retry = raw as Record<string, unknown>;
  if (retry.attempts !== undefined) assertInteger(retry.attempts, ctx, "retry.attempts", 1, 1000);
  if (retry.baseDelayMs !== undefined) assertInteger(retry.baseDelayMs, ctx, "retry.baseDelayMs", 0, MAX_TIMEOUT_MS);
  if (retry.maxDelayMs !== undefined) assertInteger(retry.maxDelayMs, ctx, "retry.maxDelayMs", 0, MAX_TIMEOUT_MS);
  return retry;
}

/** Checks that `options` is an object (or absent). */
export function checkOptionsObject(raw: unknown, ctx: ErrorContext): Record<string, unknown> {
  if (raw === undefined) return {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) invalid("options must be an object", ctx);
  return raw as Record<string, unknown>;
}

/**
 * Checks every option of the client (and the environment variables that stand in for them)
 * when it is created: a wrong type or value is `INVALID_ARGUMENT` then, never a `TypeError`
 * or an `INTERNAL` on every later call. No message shows the API key or the URL.
 */
export function resolveClientOptions(raw: unknown, ctx: ErrorContext): ResolvedClientOptions {
  const options = checkOptionsObject(raw, ctx);
  const apiKey = options.apiKey !== undefined ? checkApiKey(options.apiKey, ctx, "apiKey") : checkApiKey(process.env.MORPH_API_KEY ?? "", ctx, "MORPH_API_KEY");
  const envUrl = process.env.MORPH_BASE_URL;
  const { baseUrl, origin } =
    options.baseUrl !== undefined
      ? checkBaseUrl(options.baseUrl, ctx)
      : envUrl !== undefined && envUrl !== ""
        ? checkBaseUrl(envUrl, ctx, "MORPH_BASE_URL")
        : checkBaseUrl(MORPH_DEFAULT_BASE_URL, ctx);
  const timeoutMs = options.timeoutMs ?? MORPH_DEFAULT_TIMEOUT_MS;
  assertInteger(timeoutMs, ctx, "timeoutMs", 1, MAX_TIMEOUT_MS);
  const maxResponseBytes = options.maxResponseBytes ?? MORPH_DEFAULT_MAX_RESPONSE_BYTES;
  assertInteger(maxResponseBytes, ctx, "maxResponseBytes", 1024, MORPH_MAX_RESPONSE_BYTES_LIMIT);
  const logger = options.logger;
  assertLogger(logger, ctx);
  return { apiKey, baseUrl, origin, timeoutMs, retry: checkRetry(options.retry, ctx), logger, maxResponseBytes };
}
