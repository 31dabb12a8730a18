#!/usr/bin/env node
// Package hygiene for every public package under packages/* (`pnpm check:packages`; CI runs it):
// pack it exactly as it would be published (`pnpm pack`, which also rewrites workspace: ranges),
// then run publint (strict: warnings count) and arethetypeswrong (profile esm-only: our packages
// are ESM only, so CommonJS `require` resolution is out of scope) on that tarball.
// It also unpacks the tarball and checks what those tools do not: a LICENSE file ships, and every
// source map carries its sources (`sourcesContent`, from `inlineSources`), since src/ is not shipped,
// and the public declarations import only modules a consumer has types for (./public-types.mjs).
// Any publint message, attw problem or failed tarball check fails the run. Build first (`pnpm build`): dist/ is what ships.
// `node scripts/check-packages.mjs <dir>...` checks just those package directories.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { publicTypeProblems } from "./public-types.mjs";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const attwBin = join(root, "node_modules", ".bin", "attw");
// What `--profile esm-only` leaves out of the verdict; used only to word the summary.
const ESM_ONLY_IGNORED = new Set(["node10", "node16-cjs"]);

async function publicPackages(explicit) {
  const candidates = explicit.length > 0
    ? explicit.map((d) => resolve(d))
    : (await readdir(join(root, "packages"), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => join(root, "packages", e.name));
  const dirs = [];
  for (const dir of candidates) {
    let pkg;
    try {
      pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
    } catch {
      if (explicit.length > 0) throw new Error(`${dir}: no readable package.json`);
      continue;
    }
    if (pkg.private) continue;
    dirs.push({ dir, name: pkg.name, version: pkg.version });
  }
  return dirs.sort((a, b) => a.name.localeCompare(b.name));
}

// What publint and attw do not look at, checked on the unpacked tarball (`package/...`).
async function tarballContents(tarball, tmp, sourceDir) {
  const problems = [];
  const out = join(tmp, "unpacked");
  await mkdir(out);
  await run("tar", ["-xzf", tarball, "-C", out]);
  const pkgDir = join(out, "package");
  const files = (await readdir(pkgDir, { recursive: true })).map((f) => f.split("\\").join("/"));
  if (!files.includes("LICENSE")) problems.push("tarball: no LICENSE file (add it to the package and to `files`)");
  const maps = files.filter((f) => f.endsWith(".js.map"));
  for (const map of maps) {
    const { sources = [], sourcesContent = [] } = JSON.parse(await readFile(join(pkgDir, map), "utf8"));
    if (sources.length === 0 || sourcesContent.length !== sources.length || sourcesContent.some((c) => typeof c !== "string")) {
      problems.push(`tarball: ${map} has no sourcesContent (its sources are not shipped; set inlineSources)`);
    }
  }
  const types = await publicTypeProblems(pkgDir, sourceDir);
  problems.push(...types.problems);
  const verdict = problems.length === 0 ? `LICENSE ok, ${maps.length} map(s) with sources, ${types.files} public .d.ts typed` : `tarball ${problems.length} problem(s)`;
  return { problems, verdict };
}

async function checkOne({ dir, name, version }) {
  const problems = [];
  const tmp = await mkdtemp(join(tmpdir(), "vm-check-packages-"));
  try {
    await run("pnpm", ["pack", "--pack-destination", tmp], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
    const tgz = (await readdir(tmp)).find((f) => f.endsWith(".tgz"));
    if (!tgz) throw new Error("pnpm pack produced no tarball");
    const tarball = join(tmp, tgz);

    const bytes = await readFile(tarball);
    const { messages, pkg } = await publint({
      pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
      strict: true,
    });
    for (const m of messages) problems.push(`publint ${m.type}: ${formatMessage(m, pkg, { color: false }) ?? m.code}`);
    const publintVerdict = messages.length === 0 ? "publint ok" : `publint ${messages.length} problem(s)`;

    let attwVerdict = "attw ok";
    try {
      await run(attwBin, [tarball, "--profile", "esm-only", "--format", "json"], { maxBuffer: 64 * 1024 * 1024 });
    } catch (err) {
      // attw exits 1 when it finds problems under the profile; anything else is a crash.
      const out = typeof err?.stdout === "string" ? err.stdout : "";
      let kinds = [];
      try {
        const report = JSON.parse(out);
        const all = Object.values(report.problems ?? report.analysis?.problems ?? {}).flat();
        kinds = all.filter((p) => !ESM_ONLY_IGNORED.has(p.resolutionKind)).map((p) => [p.kind, p.entrypoint, p.resolutionKind].filter(Boolean).join(" "));
      } catch {
        kinds = [`attw failed: ${String(err?.stderr || err?.message || err).trim().split("\n")[0]}`];
      }
      if (kinds.length === 0) kinds = ["attw reported problems (run `attw --pack " + relative(root, dir) + " --profile esm-only`)"];
      for (const k of kinds) problems.push(`attw: ${k}`);
      attwVerdict = `attw ${kinds.length} problem(s)`;
    }
    const contents = await tarballContents(tarball, tmp, dir);
    problems.push(...contents.problems);
    return { name, version, problems, summary: `${publintVerdict}, ${attwVerdict} (esm-only), ${contents.verdict}` };
  } catch (err) {
    problems.push(`check crashed: ${err instanceof Error ? err.message : String(err)}`);
    return { name, version, problems, summary: "could not be checked" };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

const packages = await publicPackages(process.argv.slice(2));
if (packages.length === 0) {
  console.error("check:packages: no public packages found under packages/*");
  process.exit(1);
}
// Two at a time: attw loads a TypeScript program per package and this machine has two cores.
const results = [];
const queue = [...packages];
await Promise.all(
  [0, 1].map(async () => {
    for (let p = queue.shift(); p; p = queue.shift()) results.push(await checkOne(p));
  }),
);
results.sort((a, b) => a.name.localeCompare(b.name));

let failed = 0;
for (const r of results) {
  const ok = r.problems.length === 0;
  if (!ok) failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${r.name}@${r.version}: ${r.summary}`);
  for (const p of r.problems) console.log(`       ${p}`);
}
console.log(`check:packages: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
