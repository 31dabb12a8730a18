import { chmod, chown, lstat, mkdir, readdir, rename, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ExecFunction } from "@vm/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Scratch, allBytes, codeOf, createScratch } from "../test-support/helpers.js";
import { createLocalExec } from "../test-support/local-exec.js";
import { createExecFileService } from "./exec-file-service.js";

// The staging directory of an atomic write (see FILE_WRITE_SCRIPT): the owner of the target's
// directory swaps its name between two execs of a chunked write (stdin: false), for a link to
// a root-only directory or for a directory of their own. The next exec finds that the
// directory it enters is not the writer's own: CONFLICT, and nothing is written anywhere.
// Deterministic: the swap happens between execs, not in a race. Real bash on the host.

const ID = "local";
const NOBODY = 65534;
let scratch: Scratch;

beforeAll(async () => {
  scratch = await createScratch("vm-staging-");
});
afterAll(async () => {
  await scratch.dispose();
});

/** An exec that runs `between` once, after the first exec (the chunked write's "begin"). */
function execWithSwap(between: () => Promise<void>): ExecFunction {
  const { exec } = createLocalExec();
  let calls = 0;
  return async (instanceId, argv, options) => {
    const result = await exec(instanceId, argv, options);
    if (++calls === 1) await between();
    return result;
  };
}

async function fixture() {
  const dir = await scratch.fresh();
  const owned = join(dir, "owned");
  await mkdir(owned);
  await chown(owned, NOBODY, NOBODY);
  // A root-only directory the attacker points the staging name at.
  const vault = join(dir, "vault");
  await mkdir(vault, { mode: 0o700 });
  await chmod(vault, 0o700);
  const theirs = join(dir, "theirs");
  await mkdir(theirs);
  await chown(theirs, NOBODY, NOBODY);
  return { dir, owned, vault, theirs, target: join(owned, "target") };
}

async function stagingIn(dir: string): Promise<string> {
  const names = (await readdir(dir)).filter((n) => n.includes(".vm-tmp."));
  expect(names).toHaveLength(1);
  const found = join(dir, names[0]!);
  const info = await stat(found);
  // The staging directory is the writer's (root's) own, mode 0700.
  expect({ dir: info.isDirectory(), uid: info.uid, mode: info.mode & 0o777 }).toEqual({ dir: true, uid: 0, mode: 0o700 });
  return found;
}

describe("an atomic write's staging directory swapped by the directory's owner", () => {
  for (const swapTo of ["a link to a root-only directory", "a directory of their own", "a link to their own directory"] as const) {
    it(`is CONFLICT, and writes nothing anywhere (${swapTo})`, async () => {
      const f = await fixture();
      await writeFile(f.target, "old");
      const content = allBytes(64 * 1024);
      const files = createExecFileService({
        provider: "local",
        stdin: false,
        maxRequestBytes: 16 * 1024,
        exec: execWithSwap(async () => {
          const staging = await stagingIn(f.owned);
          await rename(staging, join(f.owned, "moved"));
          if (swapTo === "a link to a root-only directory") await symlink(f.vault, staging);
          else if (swapTo === "a link to their own directory") await symlink(f.theirs, staging);
          else {
            await mkdir(staging, { mode: 0o700 });
            await chown(staging, NOBODY, NOBODY);
          }
        }),
      });
      expect(await codeOf(files.writeFileAtomic(ID, f.target, content, { mode: "644" }))).toBe("CONFLICT");
      expect((await readdir(f.vault)).length, "nothing was written into the root-only directory").toBe(0);
      expect((await readdir(f.theirs)).length, "nothing was written into their directory").toBe(0);
      expect((await lstat(f.target)).isFile()).toBe(true);
      expect((await stat(f.target)).size, "the target keeps its old content").toBe(3);
    });
  }

  it("without a swap, the same chunked write succeeds and leaves no staging directory (the control)", async () => {
    const f = await fixture();
    const content = allBytes(64 * 1024);
    const files = createExecFileService({ provider: "local", stdin: false, maxRequestBytes: 16 * 1024, exec: execWithSwap(async () => void (await stagingIn(f.owned))) });
    await files.writeFileAtomic(ID, f.target, content, { mode: "640" });
    expect((await stat(f.target)).size).toBe(content.length);
    expect((await stat(f.target)).mode & 0o777).toBe(0o640);
    expect((await readdir(f.owned)).filter((n) => n.includes(".vm-tmp."))).toEqual([]);
  });
});
