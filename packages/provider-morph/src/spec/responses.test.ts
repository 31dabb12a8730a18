import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { SPEC_ENUMS, SPEC_SCHEMAS, instanceModelSchema, snapshotModelSchema } from "./responses.js";

// The spec is a data file in the package (spec/, not published), read as is.
const specPath = process.env.MORPH_OPENAPI_SPEC ?? join(import.meta.dirname, "../../spec/morph-openapi.json");
const spec = JSON.parse(readFileSync(specPath, "utf8")) as {
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[]; enum?: string[] }> };
};

describe("zod schemas derived from the Morph OpenAPI spec", () => {
  for (const [name, schema] of Object.entries(SPEC_SCHEMAS)) {
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

  it("rejects an instance without refs and accepts a full one", () => {
    const good = {
      id: "morphvm_1",
      object: "instance",
      created: 1,
      status: "ready",
      spec: { vcpus: 1, memory: 128, disk_size: 700 },
      refs: { snapshot_id: "snapshot_1", image_id: "img" },
      networking: { internal_ip: null, http_services: [] },
      metadata: { a: "b" },
      ttl: { ttl_seconds: null, ttl_expire_at: null, ttl_action: "stop" },
      wake_on: { wake_on_ssh: false, wake_on_http: false },
    };
    expect(instanceModelSchema.safeParse(good).success).toBe(true);
    const { refs: _refs, ...bad } = good;
    expect(instanceModelSchema.safeParse(bad).success).toBe(false);
    expect(instanceModelSchema.safeParse({ ...good, status: "running" }).success).toBe(false);
  });

  it("rejects a snapshot with a status outside the spec's enum", () => {
    const snap = { id: "snapshot_1", created: 1, status: "ready", spec: { vcpus: 1, memory: 1, disk_size: 1 }, refs: { image_id: "i" } };
    expect(snapshotModelSchema.safeParse(snap).success).toBe(true);
    expect(snapshotModelSchema.safeParse({ ...snap, status: "creating" }).success).toBe(false);
  });
});
