// Shared by every package's src/exports.test.ts (unit projects). Plain JavaScript with a
// declaration file beside it: a package's typecheck may read a .d.ts outside its rootDir,
// not a .ts.
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Locks a package's entry points: package.json `exports` has exactly these subpaths (and
 * `./package.json`), each `{ types: "./dist/<m>.d.ts", default: "./dist/<m>.js" }` in that
 * order, and src/<m>.ts exports exactly the listed runtime names (the list kept sorted).
 *
 * @param {string} srcDir the package's src directory (`import.meta.dirname` of the test)
 * @param {{ name: string; exports: Record<string, unknown> }} packageJson
 * @param {Record<string, readonly string[]>} entryPoints subpath -> runtime names
 */
export function describeEntryPoints(srcDir, packageJson, entryPoints) {
  describe(`${packageJson.name} entry points`, () => {
    it("package.json exports exactly these subpaths, each mapped to one module in dist, types first", () => {
      expect(Object.keys(packageJson.exports)).toEqual([...Object.keys(entryPoints), "./package.json"]);
      for (const entry of Object.keys(entryPoints)) {
        const module = moduleOf(packageJson, entry);
        expect(JSON.stringify(packageJson.exports[entry]), entry).toBe(JSON.stringify({ types: `./dist/${module}.d.ts`, default: `./dist/${module}.js` }));
      }
    });

    for (const [entry, names] of Object.entries(entryPoints)) {
      it(`${entry} exports exactly its ${names.length} listed runtime names`, async () => {
        expect([...names].sort(), "keep the list sorted").toEqual(names);
        // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- a dynamic import of the package's own module: its names are what is checked.
        const module = /** @type {Record<string, unknown>} */ (await import(join(srcDir, `${moduleOf(packageJson, entry)}.ts`)));
        expect(Object.keys(module).sort()).toEqual(names);
      });
    }
  });
}

/**
 * @param {{ name: string; exports: Record<string, unknown> }} packageJson
 * @param {string} entry
 * @returns {string}
 */
function moduleOf(packageJson, entry) {
  const target = /** @type {{ default?: unknown } | undefined} */ (packageJson.exports[entry]);
  const match = /^\.\/dist\/([\w-]+)\.js$/.exec(String(target?.default));
  if (!match) throw new Error(`${packageJson.name}: exports[${JSON.stringify(entry)}].default is not ./dist/<module>.js`);
  return /** @type {string} */ (match[1]);
}
