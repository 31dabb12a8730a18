import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRouter } from "../http/router.js";
import { addAllRoutes } from "./all.js";
import type { RouteDeps } from "./deps.js";
import { NOT_EMULATED } from "./not-emulated.js";

// Morph's spec, as the data file @vm/provider-morph keeps (spec/, not published).
const specPath = join(dirname(createRequire(import.meta.url).resolve("@vm/provider-morph/package.json")), "spec", "morph-openapi.json");
const spec = JSON.parse(readFileSync(specPath, "utf8")) as { paths: Record<string, Record<string, unknown>> };
const METHODS = new Set(["get", "post", "put", "patch", "delete"]);
const specRoutes = Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).filter((m) => METHODS.has(m)).map((m) => `${m.toUpperCase()} ${path}`));

function servedRoutes(): string[] {
  const router = createRouter();
  // Registering routes touches none of the other dependencies.
  addAllRoutes({ router } as unknown as RouteDeps);
  return router.routes.map((r) => `${r.method} ${r.template}`);
}

describe("the emulator's routes against the spec's paths", () => {
  const served = servedRoutes();
  const skipped = NOT_EMULATED.map((n) => `${n.method} ${n.path}`);

  it("serves or lists (with a reason) every (method, path) of the spec", () => {
    expect(specRoutes.length).toBeGreaterThan(30);
    expect(specRoutes.filter((r) => !served.includes(r) && !skipped.includes(r))).toEqual([]);
  });

  it("serves only spec paths, and lists nothing it serves or the spec lacks", () => {
    expect(served.filter((r) => !specRoutes.includes(r))).toEqual([]);
    expect(skipped.filter((r) => served.includes(r) || !specRoutes.includes(r))).toEqual([]);
    expect(new Set(served).size).toBe(served.length);
    for (const entry of NOT_EMULATED) expect(entry.reason.length).toBeGreaterThan(10);
  });
});
