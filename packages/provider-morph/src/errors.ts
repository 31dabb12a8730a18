import type { VMErrorCode } from "@vm/core";
import { VMError, type ErrorContext } from "@vm/provider-kit";
import { parseRetryAfter } from "./api-client/retry.js";
import { httpValidationErrorSchema } from "./api-client/schemas.js";

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

/** Maps an HTTP status to the contract's error code (the one table for this provider). */
export function codeForStatus(status: number): VMErrorCode {
  if (status === 400 || status === 422) return "INVALID_ARGUMENT";
  if (status === 401) return "UNAUTHENTICATED";
  if (status === 403) return "PERMISSION_DENIED";
  if (status === 404) return "NOT_FOUND";
  if (status === 408) return "TIMEOUT";
  if (status === 409) return "CONFLICT";
  if (status === 429) return "RATE_LIMITED";
  if (status >= 500) return "UNAVAILABLE";
  return "INTERNAL";
}

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
 * The one place a Morph HTTP error answer becomes a `VMError`: 401 → `UNAUTHENTICATED`,
 * 403 → `PERMISSION_DENIED`, 404 → `NOT_FOUND`, 409 → `CONFLICT`, 422 → `INVALID_ARGUMENT`
 * (with the spec's `HTTPValidationError` detail in the message), 429 → `RATE_LIMITED`,
 * 5xx → `UNAVAILABLE`. The cause kept is `{ status, body }` only: no request, no headers,
 * so the API key cannot leak through it. `secrets` (the API key; an exec's `NAME=value` env
 * entries and base64 stdin chunks) are replaced with `[redacted]` in the detail and in every
 * string of the kept body, because a server may echo what it was sent (pydantic v2 validation
 * errors carry the request's `input`). A 429's `Retry-After` becomes `retryAfterMs`, so a
 * caller can wait as long as the server asked.
 */
export function fromMorphResponse(response: MorphErrorResponse, ctx: ErrorContext, secrets?: string | readonly string[]): VMError {
  const code = codeForStatus(response.status);
  // Longest first, so a secret that contains another is redacted whole.
  const list = (typeof secrets === "string" ? [secrets] : [...(secrets ?? [])]).filter((s) => s !== "").sort((a, b) => b.length - a.length);
  let detail = describeDetail(response.body);
  if (detail !== undefined) detail = redact(detail, list);
  const message = `Morph API answered ${response.status}${detail === undefined ? "" : `: ${clip(detail)}`}`;
  const body = list.length === 0 ? response.body : redactDeep(response.body, list);
  const retryAfterMs = code === "RATE_LIMITED" ? parseRetryAfter(response.retryAfter) : undefined;
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
