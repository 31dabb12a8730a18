import type { VMErrorCode } from "@vm/core";
import { VMError, codeForHttpStatus, type ErrorContext } from "@vm/provider-kit";
import { parseRetryAfter } from "./api-client/retry.js";
import { httpValidationErrorSchema } from "./spec/responses.js";

/**
 * What `fromMorphResponse()` needs from a non-2xx answer: the status and the parsed body.
 * Never the request: it carries the `Authorization` header.
 */
export interface MorphErrorResponse {
  status: number;
  body?: unknown;
  /** The answer's `Retry-After` header (seconds or an HTTP-date), if any. */
  retryAfter?: string | null;
}

const MAX_DETAIL = 500;

/**
 * Maps an HTTP status to the contract's error code: the kit's one table (`codeForHttpStatus`),
 * kept under this name for existing callers.
 *
 * @example
 * ```ts
 * import { codeForStatus } from "@vm/provider-morph";
 * codeForStatus(404); // "NOT_FOUND"
 * ```
 */
export const codeForStatus: (status: number) => VMErrorCode = codeForHttpStatus;

/**
 * Reads the human detail out of a Morph error body: FastAPI's `{"detail": "..."}` or the
 * spec's `HTTPValidationError` (`{"detail": [{loc, msg, type}]}`), as `"body.command: Field required"`.
 */
export function describeDetail(body: unknown): string | undefined {
  if (typeof body === "string") return body.trim() === "" ? undefined : body;
  if (typeof body !== "object" || body === null) return undefined;
  const validation = httpValidationErrorSchema.safeParse(body);
  if (validation.success && Array.isArray(validation.data.detail)) {
    return validation.data.detail.map((item) => `${item.loc.join(".")}: ${item.msg}`).join("; ");
  }
  const detail = (body as { detail?: unknown }).detail;
  if (typeof detail === "string") return detail;
  if (detail !== undefined) return JSON.stringify(detail);
  return undefined;
}

function clip(text: string): string {
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 3)}...` : text;
}

/**
 * The longest `retryAfterMs` a Morph error carries: a server's `Retry-After` beyond it (an
 * hour, a year, a date far ahead) is cut to it, so a client that waits as told is not parked
 * for as long as a faulty or hostile server says. 60 s.
 */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * The one place a Morph HTTP error answer becomes a `VMError`: 401 → `UNAUTHENTICATED`,
 * 403 → `PERMISSION_DENIED`, 404 → `NOT_FOUND`, 409 → `CONFLICT`, 422 → `INVALID_ARGUMENT`
 * (with the spec's `HTTPValidationError` detail in the message), 429 → `RATE_LIMITED`,
 * 5xx → `UNAVAILABLE`. The cause kept is `{ status, body }` only: no request, no headers,
 * so the API key cannot leak through it. `secrets` (the API key; an exec's `NAME=value` env
 * entries and base64 stdin chunks) are replaced with `[redacted]` in the detail and in every
 * string of the kept body, because a server may echo what it was sent (pydantic v2 validation
 * errors carry the request's `input`). A 429's `Retry-After` becomes `retryAfterMs` (at most
 * `MAX_RETRY_AFTER_MS`), so a caller can wait as long as the server asked.
 */
export function fromMorphResponse(response: MorphErrorResponse, ctx: ErrorContext, secrets?: string | readonly string[]): VMError {
  const code = codeForHttpStatus(response.status);
  // Longest first, so a secret that contains another is redacted whole.
  const list = (typeof secrets === "string" ? [secrets] : [...(secrets ?? [])]).filter((s) => s !== "").sort((a, b) => b.length - a.length);
  let detail = describeDetail(response.body);
  if (detail !== undefined) detail = redact(detail, list);
  const message = `Morph API answered ${response.status}${detail === undefined ? "" : `: ${clip(detail)}`}`;
  const body = list.length === 0 ? response.body : redactDeep(response.body, list);
  const hinted = code === "RATE_LIMITED" ? parseRetryAfter(response.retryAfter) : undefined;
  const retryAfterMs = hinted === undefined ? undefined : Math.min(hinted, MAX_RETRY_AFTER_MS);
  return new VMError(code, message, { ...ctx, cause: { status: response.status, body }, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join("[redacted]");
  return out;
}

/** A copy of a JSON value with every secret replaced in its strings (keys included). */
function redactDeep(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") return redact(value, secrets);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [redact(key, secrets), redactDeep(item, secrets)]));
  }
  return value;
}
