import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { MORPH_PROVIDER_VERSION } from "./version.js";

it("MORPH_PROVIDER_VERSION matches package.json", () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "../package.json"), "utf8")) as { version: string };
  expect(MORPH_PROVIDER_VERSION).toBe(pkg.version);
});
