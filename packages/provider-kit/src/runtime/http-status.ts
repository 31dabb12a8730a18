import type { VMErrorCode } from "@vm/core";

/**
 * The contract's error code for an HTTP status a backend answered a request with:
 * 400/422 → `INVALID_ARGUMENT`, 401 → `UNAUTHENTICATED`, 403 → `PERMISSION_DENIED`,
 * 404 → `NOT_FOUND`, 408 → `TIMEOUT`, 409 → `CONFLICT`, 429 → `RATE_LIMITED`,
 * 5xx → `UNAVAILABLE`, anything else (another 4xx, a 1xx/3xx where an answer was due) →
 * `INTERNAL`. A provider whose backend says more in its body (a 500 that is really a conflict)
 * refines this code; it does not keep a second table.
 *
 * @example
 * ```ts
 * import { codeForHttpStatus } from "@vm/provider-kit";
 * codeForHttpStatus(404); // "NOT_FOUND"
 * codeForHttpStatus(503); // "UNAVAILABLE"
 * ```
 */
export function codeForHttpStatus(status: number): VMErrorCode {
  switch (status) {
    case 400:
    case 422:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 408:
      return "TIMEOUT";
    case 409:
      return "CONFLICT";
    case 429:
      return "RATE_LIMITED";
    default:
      return status >= 500 && status <= 599 ? "UNAVAILABLE" : "INTERNAL";
  }
}
