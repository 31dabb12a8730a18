import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const dist = join(import.meta.dirname, "..", "dist");

// Strip comments and the `export {};` that tsc emits for type-only modules; anything left is runtime code.
function runtimeStatements(js: string): string {
  return js
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "")
    .replace(/^\s*export\s*\{\s*\};?\s*$/gm, "")
    .trim();
}

describe("@vm/core build output", () => {
  it("contains type declarations and no runtime statements", async () => {
    const files = (await readdir(dist)).filter((f) => f.endsWith(".js"));
    expect(files).toContain("index.js");
    const declarations = (await readdir(dist)).filter((f) => f.endsWith(".d.ts"));
    expect(declarations).toContain("index.d.ts");
    for (const file of files) {
      const js = await readFile(join(dist, file), "utf8");
      expect({ file, code: runtimeStatements(js) }).toEqual({ file, code: "" });
    }
  });

  it("detects runtime code when there is some", () => {
    expect(runtimeStatements("export const x = 1;\n//# sourceMappingURL=x.js.map")).toBe("export const x = 1;");
    expect(runtimeStatements("export {};\n//# sourceMappingURL=x.js.map")).toBe("");
  });
});
