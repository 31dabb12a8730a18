#!/usr/bin/env node
// Generates the Morph spec module (`src/spec/generated/`: TypeScript types and zod 4 schemas)
// from `spec/morph-openapi.json` with @hey-api/openapi-ts. The output is committed, so a fresh
// clone needs no generator run; `src/spec/generated.test.ts` regenerates into a temp dir and
// fails when the committed files are stale.
// `pnpm gen:morph-spec` (or `node scripts/gen-morph-spec.mjs [outDir]`).
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createClient } from "@hey-api/openapi-ts";

const packageDir = join(import.meta.dirname, "..");

/** Writes the generated module for `specPath` into `outDir`. */
export async function generateMorphSpec(outDir, specPath = join(packageDir, "spec", "morph-openapi.json")) {
  // The parsed document, not the path: the generator reads a bare relative path as a registry name.
  const input = JSON.parse(await readFile(specPath, "utf8"));
  await createClient({
    input,
    output: { path: resolve(outDir), importFileExtension: ".js" },
    // Types for every component and operation; zod schemas for the components only (the
    // client validates answers, the emulator validates requests).
    plugins: ["@hey-api/typescript", { name: "zod", compatibilityVersion: 4, requests: false, responses: false }],
    logs: { level: "silent" },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await generateMorphSpec(process.argv[2] ?? join(packageDir, "src", "spec", "generated"));
}
