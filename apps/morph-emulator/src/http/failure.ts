import { isVMError } from "@vm/provider-kit";
import type { z } from "zod";
import { toValidationDetail, type ValidationErrorItem } from "../validation.js";

/** An error answer a handler throws: its status and JSON body. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

export const notFound = (what: string) => new HttpFailure(404, { detail: `${what} not found` });
export const invalid = (detail: ValidationErrorItem[]) => new HttpFailure(422, { detail });

/** A backend (`VMError`) failure -> the answer Morph would give. */
export function fromBackend(err: unknown): HttpFailure {
  if (err instanceof HttpFailure) return err;
  if (isVMError(err)) {
    const e = err;
    const status =
      e.code === "NOT_FOUND" ? 404 : e.code === "CONFLICT" || e.code === "ALREADY_EXISTS" ? 409 : e.code === "INVALID_ARGUMENT" ? 422 : e.code === "TIMEOUT" ? 504 : e.code === "UNAVAILABLE" ? 503 : 500;
    if (status === 422) return invalid([{ loc: ["body"], msg: e.message, type: "value_error" }]);
    return new HttpFailure(status, { detail: e.message });
  }
  return new HttpFailure(500, { detail: "internal error" });
}

/** Parses a request part with a spec schema: a mismatch is the spec's 422. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, where: "body" | "query"): T {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(toValidationDetail(where, result.error.issues));
  return result.data;
}
