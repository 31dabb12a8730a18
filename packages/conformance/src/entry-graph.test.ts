import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

// testcontainers (with dockerode, docker-modem and ssh2) is an optional peer dependency used
// only by `@vm/conformance/containers`: a provider without Docker must be able to import the
// main entry without having it installed. A resolve hook records every module node loads.
const run = promisify(execFile);
const packageDir = join(import.meta.dirname, "..");
const HOOK = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from "node:module";
import { writeFileSync } from "node:fs";
const seen = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
process.on("exit", () => writeFileSync(process.env.VMC_LOADED_FILE, JSON.stringify(seen)));
`)}`;
const DOCKER_STACK = /\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?(testcontainers|dockerode|docker-modem|ssh2)\//;

async function loaded(entry: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), "vmc-entry-graph-"));
  try {
    const file = join(dir, "loaded.json");
    // Run inside the package so the name resolves to its own build (package self-reference).
    await run(process.execPath, ["--import", HOOK, "--input-type=module", "-e", `await import(${JSON.stringify(entry)});`], {
      cwd: packageDir,
      env: { ...process.env, VMC_LOADED_FILE: file },
    });
    return JSON.parse(await readFile(file, "utf8")) as string[];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("module graph of the entries", () => {
  it("@vm/conformance and @vm/conformance/reporter load no testcontainers, dockerode or ssh2", async () => {
    for (const entry of ["@vm/conformance", "@vm/conformance/reporter"]) {
      const urls = await loaded(entry);
      expect(urls.some((u) => u.includes("/conformance/dist/"))).toBe(true);
      expect(urls.filter((u) => DOCKER_STACK.test(u))).toEqual([]);
    }
  }, 60_000);

  it("@vm/conformance/containers does load testcontainers (the check above can fail)", async () => {
    const urls = await loaded("@vm/conformance/containers");
    expect(urls.some((u) => DOCKER_STACK.exec(u)?.[1] === "testcontainers")).toBe(true);
  }, 60_000);
});
