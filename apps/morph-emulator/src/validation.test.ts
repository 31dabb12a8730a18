import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { execRequestSchema } from "@vm/provider-morph/internal";
import type { z } from "zod";
import { REQUEST_SCHEMAS, toValidationDetail } from "./validation.js";

const specPath = process.env.MORPH_OPENAPI_SPEC ?? join(import.meta.dirname, "../../../packages/provider-morph/spec/morph-openapi.json");
const spec = JSON.parse(readFileSync(specPath, "utf8")) as {
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
};

describe("request schemas derived from the Morph OpenAPI spec", () => {
  for (const [name, schema] of Object.entries(REQUEST_SCHEMAS)) {
    it(`${name} has the spec's properties and required keys`, () => {
      const component = spec.components.schemas[name];
      expect(component).toBeDefined();
      const shape = (schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
      expect(Object.keys(shape).sort()).toEqual(Object.keys(component!.properties ?? {}).sort());
      const required = Object.entries(shape)
        .filter(([, field]) => !field.safeParse(undefined).success)
        .map(([key]) => key)
        .sort();
      expect(required).toEqual([...(component!.required ?? [])].sort());
    });
  }

  it("turns zod issues into the spec's ValidationError items", () => {
    const result = execRequestSchema.safeParse({});
    expect(result.success).toBe(false);
    const detail = toValidationDetail("body", result.error!.issues);
    expect(detail).toEqual([{ loc: ["body", "command"], msg: expect.any(String) as string, type: "missing" }]);
  });
});
