import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const packageDir = join(import.meta.dirname, "../..");
const committedDir = join(import.meta.dirname, "generated");
// Liveness bound, not a performance claim: the generator takes ~3 s alone, a minute on a loaded machine.
const GENERATE_TIMEOUT_MS = 300_000;

describe("the generated Morph spec module", () => {
  let outDir: string | undefined;
  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  // The committed files are what both the client and the emulator compile against: a spec
  // change (or a generator upgrade) that was not regenerated fails here.
  it("is what the generator makes from spec/morph-openapi.json (run `pnpm gen:morph-spec` if not)", async () => {
    outDir = await mkdtemp(join(tmpdir(), "morph-spec-"));
    await run(process.execPath, [join(packageDir, "scripts", "gen-morph-spec.mjs"), outDir], { cwd: packageDir });
    const fresh = (await readdir(outDir)).sort();
    expect((await readdir(committedDir)).sort()).toEqual(fresh);
    for (const name of fresh) {
      expect(await readFile(join(committedDir, name), "utf8"), `${name} is stale`).toBe(await readFile(join(outDir, name), "utf8"));
    }
  }, GENERATE_TIMEOUT_MS);
});
