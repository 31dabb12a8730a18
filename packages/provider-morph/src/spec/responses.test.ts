import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { INSTANCE_MODEL } from "../../test/support/instance-model.js";
import { REQUEST_SCHEMAS } from "./requests.js";
import { SPEC_ENUMS, SPEC_SCHEMAS, instanceModelSchema, snapshotModelSchema } from "./responses.js";

// The spec is a data file in the package (spec/, not published), read as is.
const specPath = process.env.MORPH_OPENAPI_SPEC ?? join(import.meta.dirname, "../../spec/morph-openapi.json");
const spec = JSON.parse(readFileSync(specPath, "utf8")) as {
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[]; enum?: string[] }> };
};

describe("zod schemas derived from the Morph OpenAPI spec", () => {
  // The answers the client validates and the requests the emulator validates.
  for (const [name, schema] of Object.entries({ ...SPEC_SCHEMAS, ...REQUEST_SCHEMAS })) {
    it(`${name} has the spec's properties and required keys`, () => {
      const component = spec.components.schemas[name];
      expect(component, `spec has no component ${name}`).toBeDefined();
      const shape = (schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
      expect(Object.keys(shape).sort()).toEqual(Object.keys(component!.properties ?? {}).sort());
      const required = Object.entries(shape)
        .filter(([, field]) => !field.safeParse(undefined).success)
        .map(([key]) => key)
        .sort();
      expect(required).toEqual([...(component!.required ?? [])].sort());
    });
  }
  for (const [name, schema] of Object.entries(SPEC_ENUMS)) {
    it(`${name} has the spec's values`, () => {
      expect([...schema.options].sort()).toEqual([...(spec.components.schemas[name]!.enum ?? [])].sort());
    });
  }

  it("rejects an instance without refs and accepts a full one; keeps a __proto__ metadata key", () => {
    const good = INSTANCE_MODEL;
    expect(instanceModelSchema.safeParse(good).success).toBe(true);
    const { refs: _refs, ...bad } = good;
    expect(instanceModelSchema.safeParse(bad).success).toBe(false);
    expect(instanceModelSchema.safeParse({ ...good, status: "running" }).success).toBe(false);
    // The generated z.record would drop it: metadataSchema keeps the parsed object's own keys.
    const parsed = instanceModelSchema.parse({ ...good, metadata: JSON.parse('{"__proto__":"x"}') as Record<string, string> });
    expect(Object.keys(parsed.metadata ?? {})).toEqual(["__proto__"]);
  });

  it("rejects a snapshot with a status outside the spec's enum", () => {
    const snap = { id: "snapshot_1", created: 1, status: "ready", spec: { vcpus: 1, memory: 1, disk_size: 1 }, refs: { image_id: "i" } };
    expect(snapshotModelSchema.safeParse(snap).success).toBe(true);
    expect(snapshotModelSchema.safeParse({ ...snap, status: "creating" }).success).toBe(false);
  });
});
