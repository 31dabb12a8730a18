import { existsSync } from "node:fs";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Scratch, createScratch, runFileScript, scriptFailure } from "../../test-support/helpers.js";
import { FILE_DISCARD_PARTIAL_SCRIPT, FILE_READ_SCRIPT } from "../scripts.js";

// FILE_READ_SCRIPT (sh/file-read.sh) and FILE_DISCARD_PARTIAL_SCRIPT (sh/file-discard-partial.sh)
// run with the host's bash, as a provider runs them. Reading itself is covered through
// createExecFileService with a local exec (exec-file-service.test.ts and others); the discard
// runs only after an in-place write was killed: bash -c SCRIPT vm-files <path> <size> <seconds>.
let scratch: Scratch;
beforeAll(async () => {
  scratch = await createScratch("vm-read-discard-");
});
afterAll(async () => {
  await scratch.dispose();
});

const read = (...args: string[]) => runFileScript(FILE_READ_SCRIPT, ...args);

describe("FILE_READ_SCRIPT (bash)", () => {
  it("prints the header and the chunk in base64", async () => {
    const p = join(await scratch.fresh(), "a.txt");
    await writeFile(p, "hello world");
    const r = read(p, "6", "3");
    expect(r.status).toBe(0);
    const [header, chunk] = r.stdout.split("\n");
    expect(header).toMatch(/^f 11 \d+:\d+:\d+\.\d{9}:\d+\.\d{9}$/);
    expect(Buffer.from(chunk!, "base64").toString()).toBe("wor");
  });

  it("an offset or count that is not a number, empty included, is EINVAL", async () => {
    const p = join(await scratch.fresh(), "a.txt");
    await writeFile(p, "hello world");
    for (const [off, count] of [["", "3"], ["0", ""], ["-1", "3"], ["0", "0x10"]] as const) expect(scriptFailure(read(p, off, count))).toBe("EINVAL");
  });
});

const discard = (...args: string[]) => runFileScript(FILE_DISCARD_PARTIAL_SCRIPT, ...args);

describe("FILE_DISCARD_PARTIAL_SCRIPT (bash)", () => {
  it("removes a fresh regular file shorter than the write's size", async () => {
    const p = join(await scratch.fresh(), "partial");
    await writeFile(p, "abc");
    expect(discard(p, "10", "3600").status).toBe(0);
    expect(existsSync(p)).toBe(false);
  });

  it("keeps a complete file, a symlink (and its target), a directory and a missing path", async () => {
    const dir = await scratch.fresh();
    const [full, target, link, sub] = ["full", "target", "link", "sub"].map((n) => join(dir, n)) as [string, string, string, string];
    await writeFile(full, "0123456789");
    await writeFile(target, "abc");
    await symlink(target, link);
    await mkdir(sub);
    for (const p of [full, link, sub, join(dir, "missing")]) expect(discard(p, "10", "3600")).toMatchObject({ status: 0, stdout: "", stderr: "" });
    for (const p of [full, target, link, sub]) expect(existsSync(p)).toBe(true);
  });

  it("refuses a size or a window that is not a number before it looks at the path", async () => {
    const p = join(await scratch.fresh(), "partial");
    await writeFile(p, "abc");
    for (const [size, secs] of [["", "1"], ["10", ""], ["10", "-1"], ["1e3", "1"], ["10", "$(id)"]] as const) expect(scriptFailure(discard(p, size, secs))).toBe("EINVAL");
    expect(existsSync(p)).toBe(true);
  });
});
