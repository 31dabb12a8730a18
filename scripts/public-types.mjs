// Which modules a package's public type declarations need, checked against what a consumer gets.
//
// From every `types` file of the package's entry points (except "./internal", which has no
// semver and is not for users), it follows the declarations' relative imports through the
// unpacked tarball and collects every bare module they import. Each must be the package itself,
// a `node:` builtin, or a dependency (or peer) that brings its types: one that ships its own, or
// whose `@types/*` package is a dependency too. Otherwise a consumer with `skipLibCheck: false`
// gets TS7016 ("could not find a declaration file") from our .d.ts files.
// Imports are read by TypeScript's own pre-processor, not by a regex.
import { existsSync } from "node:fs";
import { builtinModules } from "node:module";
import { readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import ts from "typescript";

/** Every `types` path under `exports`, per entry point (conditions nested any way). */
function entryTypes(exportsField) {
  const found = [];
  const visit = (value, entry) => {
    if (typeof value === "string") return;
    if (value && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        if (key === "types" && typeof inner === "string") found.push({ entry, file: inner });
        else visit(inner, entry);
      }
    }
  };
  if (exportsField && typeof exportsField === "object") for (const [entry, value] of Object.entries(exportsField)) visit(value, entry);
  return found;
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** `@scope/name` → `@types/scope__name`. */
function typesPackageOf(name) {
  return `@types/${name.startsWith("@") ? name.slice(1).replace("/", "__") : name}`;
}

/** Whether the installed dependency `name` (its dir, from the package's own node_modules) ships types. */
async function shipsTypes(depDir) {
  const manifest = JSON.parse(await readFile(join(depDir, "package.json"), "utf8"));
  if (manifest.types || manifest.typings) return true;
  if (entryTypes(manifest.exports).length > 0) return true;
  // TypeScript also finds `<main without .js>.d.ts` next to `main`, or index.d.ts.
  const main = typeof manifest.main === "string" ? manifest.main.replace(/\.[cm]?js$/, "") : "index";
  return existsSync(join(depDir, `${main}.d.ts`)) || existsSync(join(depDir, "index.d.ts"));
}

/**
 * Problems with the modules the public declarations of the unpacked package at `pkgDir` import.
 * `sourceDir` is the package's directory in the repository, whose node_modules hold its
 * installed dependencies.
 */
export async function publicTypeProblems(pkgDir, sourceDir) {
  const manifest = JSON.parse(await readFile(join(pkgDir, "package.json"), "utf8"));
  const deps = { ...manifest.peerDependencies, ...manifest.dependencies };
  const queue = entryTypes(manifest.exports)
    .filter(({ entry }) => entry !== "./internal")
    .map(({ file }) => join(pkgDir, file));
  const seen = new Set();
  const bare = new Map(); // specifier -> first file that imports it
  for (let file = queue.shift(); file; file = queue.shift()) {
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    const info = ts.preProcessFile(await readFile(file, "utf8"), true, true);
    const specifiers = [...info.importedFiles, ...info.referencedFiles].map((f) => f.fileName);
    for (const t of info.typeReferenceDirectives) bare.set(t.fileName, bare.get(t.fileName) ?? file);
    for (const s of specifiers) {
      if (s.startsWith(".")) queue.push(join(dirname(file), s.replace(/\.js$/, ".d.ts")));
      else if (!bare.has(s)) bare.set(s, file);
    }
  }
  const problems = [];
  for (const [specifier, from] of bare) {
    const name = packageOf(specifier);
    if (specifier.startsWith("node:") || builtinModules.includes(name) || name === "node" || name === manifest.name) continue;
    const where = relative(pkgDir, from);
    if (!(name in deps)) {
      problems.push(`types: ${where} imports "${specifier}", which is not a dependency`);
      continue;
    }
    if (typesPackageOf(name) in deps) continue;
    const depDir = join(sourceDir, "node_modules", name);
    if (!existsSync(join(depDir, "package.json")) || !(await shipsTypes(depDir))) {
      problems.push(`types: ${where} imports "${specifier}", which ships no types, and ${typesPackageOf(name)} is not a dependency (consumers with skipLibCheck: false get TS7016)`);
    }
  }
  return { problems, files: seen.size };
}
