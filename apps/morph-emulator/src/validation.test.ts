import { execRequestSchema } from "@vm/provider-morph/internal";
import { describe, expect, it } from "vitest";
import { toValidationDetail } from "./validation.js";

// The request schemas themselves are the spec's (generated and checked in @vm/provider-morph).
describe("validation errors", () => {
  it("turns zod issues into the spec's ValidationError items", () => {
    const result = execRequestSchema.safeParse({});
    expect(result.success).toBe(false);
    const detail = toValidationDetail("body", result.error!.issues);
    expect(detail).toEqual([{ loc: ["body", "command"], msg: expect.any(String) as string, type: "missing" }]);
  });
});
