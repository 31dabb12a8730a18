import { spawnSync } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Scratch, createScratch, runFileScript, scriptFailure } from "../../test-support/helpers.js";
import { FILE_RESOLVE_READ_SCRIPT, FILE_RESOLVE_WRITE_SCRIPT } from "../resolve-scripts.js";

// FILE_RESOLVE_READ_SCRIPT and FILE_RESOLVE_WRITE_SCRIPT (sh/file-resolve-*.sh) run with the
// host's bash, as the Docker provider runs them before it uses the archive API.
let scratch: Scratch;
beforeAll(async () => {
  scratch = await createScratch("vm-resolve-");
});
afterAll(async () => {
  await scratch.dispose();
});

const b64 = (s: string) => Buffer.from(s).toString("base64");
/** The mount kind the script reports for `path`: "root" when it lives on the host's / itself. */
const where = (path: string) => (spawnSync("stat", ["-c", "%m", "--", path], { encoding: "utf8" }).stdout.trim() === "/" ? "root" : "mount");

/**
 * dir/real/inner (a directory), dir/link -> dir/real/inner, and two files a.txt: the kernel
 * resolves dir/link/../a.txt to dir/real/a.txt; cleaning ".." by text would give dir/a.txt.
 * (So these paths are built by hand: path.join cleans ".." by text.)
 */
async function tree(): Promise<string> {
  const dir = await scratch.fresh();
  await mkdir(join(dir, "real", "inner"), { recursive: true });
  await symlink(join(dir, "real", "inner"), join(dir, "link"));
  await writeFile(join(dir, "real", "a.txt"), "kernel");
  await writeFile(join(dir, "a.txt"), "by text");
  return dir;
}

describe("FILE_RESOLVE_READ_SCRIPT (bash)", () => {
  it("follows links as the kernel does and inlines a small file's content", async () => {
    const dir = await tree();
    const real = join(dir, "real", "a.txt");
    const r = runFileScript(FILE_RESOLVE_READ_SCRIPT, `${dir}/link/../a.txt`, "6");
    expect(r.stdout).toBe(`f 6 ${where(real)} ${b64(real)}\n${b64("kernel")}`);
    expect(r.status).toBe(0);
  });

  it("a file larger than inlineMax gets the header only; something not a regular file is `o`", async () => {
    const dir = await tree();
    const real = join(dir, "real", "a.txt");
    expect(runFileScript(FILE_RESOLVE_READ_SCRIPT, real, "5").stdout).toBe(`f 6 ${where(real)} ${b64(real)}\n`);
    expect(spawnSync("mkfifo", [join(dir, "fifo")]).status).toBe(0);
    expect(runFileScript(FILE_RESOLVE_READ_SCRIPT, join(dir, "fifo"), "5").stdout).toBe("o\n");
  });

  it("classifies a directory, a missing path, a dangling link and a bad inlineMax", async () => {
    const dir = await tree();
    await symlink(join(dir, "nowhere"), join(dir, "dangling"));
    expect(scriptFailure(runFileScript(FILE_RESOLVE_READ_SCRIPT, join(dir, "real"), "5"))).toBe("EISDIR");
    expect(scriptFailure(runFileScript(FILE_RESOLVE_READ_SCRIPT, join(dir, "missing"), "5"))).toBe("ENOENT");
    expect(scriptFailure(runFileScript(FILE_RESOLVE_READ_SCRIPT, join(dir, "dangling"), "5"))).toBe("ENOENT");
    expect(scriptFailure(runFileScript(FILE_RESOLVE_READ_SCRIPT, join(dir, "a.txt"), "-1"))).toBe("EINVAL");
  });
});

describe("FILE_RESOLVE_WRITE_SCRIPT (bash)", () => {
  it("resolves the parent as the kernel does and says what is at the path now", async () => {
    const dir = await tree();
    const parent = join(dir, "real");
    await symlink("a.txt", join(parent, "l"));
    for (const [name, kind] of [["new.txt", "n"], ["a.txt", "f"], ["l", "l"]] as const) {
      const r = runFileScript(FILE_RESOLVE_WRITE_SCRIPT, `${dir}/link/../${name}`);
      expect(r.stdout).toBe(`${kind} ${where(parent)} ${b64(parent)}\n`);
      expect(r.status).toBe(0);
    }
  });

  it("classifies a directory, a missing or non-directory parent and a relative path", async () => {
    const dir = await tree();
    expect(scriptFailure(runFileScript(FILE_RESOLVE_WRITE_SCRIPT, join(dir, "real")))).toBe("EISDIR");
    expect(scriptFailure(runFileScript(FILE_RESOLVE_WRITE_SCRIPT, `${dir}/`))).toBe("EISDIR");
    expect(scriptFailure(runFileScript(FILE_RESOLVE_WRITE_SCRIPT, join(dir, "missing", "x")))).toBe("ENOENT");
    expect(scriptFailure(runFileScript(FILE_RESOLVE_WRITE_SCRIPT, join(dir, "a.txt", "x")))).toBe("ENOTDIR");
    expect(scriptFailure(runFileScript(FILE_RESOLVE_WRITE_SCRIPT, "relative/x"))).toBe("EINVAL");
  });
});
