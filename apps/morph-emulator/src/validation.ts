import type { ValidationError } from "@vm/provider-morph/internal";
import type { z } from "zod";

// The request schemas are the spec's own, generated in @vm/provider-morph (`./internal`).
export { REQUEST_SCHEMAS } from "@vm/provider-morph/internal";

/** One `ValidationError` item of the spec's `HTTPValidationError`. */
export type ValidationErrorItem = ValidationError;

/** zod issues -> the spec's `HTTPValidationError.detail`, FastAPI style (`loc` starts with "body"/"query"). */
export function toValidationDetail(where: "body" | "query" | "path", issues: readonly z.core.$ZodIssue[]): ValidationErrorItem[] {
  return issues.map((issue) => ({
    loc: [where, ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))],
    msg: issue.message,
    type: issue.code === "invalid_type" && issue.input === undefined ? "missing" : issue.code,
  }));
}
