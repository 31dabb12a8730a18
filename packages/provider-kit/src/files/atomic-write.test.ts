import { chmod, chown, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Scratch, allBytes, codeOf, createScratch, sameBytes, tempFilesIn } from "../test-support/helpers.js";
import { createLocalExec } from "../test-support/local-exec.js";
import { createExecFileService } from "./exec-file-service.js";
import { fileErrorFromExecResult } from "./file-error.js";
import { atomicWriteArgv, fileWriteArgv, tempFileSuffix } from "./write-argv.js";

const ID = "local";
const MiB = 1024 * 1024;
const NOBODY = 65534;
let scratch: Scratch;

beforeAll(async () => {
  scratch = await createScratch("vm-atomic-");
});
afterAll(async () => {
  await scratch.dispose();
});

// Reads the file in a tight loop until stopped and records every distinct outcome.
function startReader(path: string, valid: Uint8Array[]) {
  let stop = false;
  let reads = 0;
  const bad: string[] = [];
  const done = (async () => {
    while (!stop) {
      try {
        const got = await readFile(path);
        reads++;
        if (!valid.some((v) => sameBytes(got, v))) bad.push(`partial or mixed read of ${got.length} bytes`);
      } catch (err) {
        bad.push(`read failed: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
  })();
  return {
    badCount: () => bad.length,
    readCount: () => reads,
    async finish() {
      stop = true;
      await done;
      return { reads, bad };
    },
  };
}

for (const [label, options] of [
  ["stdin: true, one exec per write", { stdin: true }],
  ["stdin: false, several execs per write", { stdin: false, maxRequestBytes: 1024 * 1024 }],
] as const) {
  describe(`writeFileAtomic is atomic (${label})`, () => {
    it("a concurrent reader only ever sees one of the two complete contents", async () => {
      const local = createLocalExec();
      const files = createExecFileService({ provider: "local", exec: local.exec, ...options });
      const dir = await scratch.fresh();
      const path = join(dir, "shared");
      const a = allBytes(2 * MiB, 11);
      const b = allBytes(2 * MiB + 333, 77);
      await writeFile(path, a);
      const reader = startReader(path, [a, b]);
      // At least 6 writes, and on until the reader has overlapped them more than 6 times (a
      // loaded machine starves the reader: CI on baec35b saw exactly 6 reads); an even count, so `a` is last.
      let writes = 0;
      while (writes < 6 || (reader.readCount() <= 6 && writes < 400) || writes % 2 === 1) {
        await files.writeFileAtomic(ID, path, writes % 2 === 0 ? b : a, { mode: "644" });
        writes++;
      }
      const { reads, bad } = await reader.finish();
      expect(bad).toEqual([]);
      expect(reads).toBeGreaterThan(6);
      expect(sameBytes(await readFile(path), a)).toBe(true);
      expect(await tempFilesIn(dir)).toEqual([]);
      if (!options.stdin) expect(local.calls.length).toBeGreaterThanOrEqual(writes * 3);
    });
  });
}

describe("the reader check has teeth", () => {
  it("it catches the torn reads of a plain in-place writeFile", async () => {
    const files = createExecFileService({ provider: "local", exec: createLocalExec().exec, stdin: true });
    const dir = await scratch.fresh();
    const path = join(dir, "shared");
    const a = allBytes(4 * MiB, 1);
    const b = allBytes(4 * MiB, 2);
    await writeFile(path, a);
    const reader = startReader(path, [a, b]);
    // In-place writes truncate then fill, so a reader soon sees a short or mixed file.
    for (let i = 0; i < 40 && reader.badCount() === 0; i++) {
      await files.writeFile(ID, path, i % 2 === 0 ? b : a);
    }
    const { bad } = await reader.finish();
    expect(bad.length).toBeGreaterThan(0);
  });
});

describe("a failing writeFileAtomic leaves the old file intact and no temp file", () => {
  it("unknown owner (as root): INVALID_ARGUMENT", async () => {
    const files = createExecFileService({ provider: "local", exec: createLocalExec().exec, stdin: true });
    const dir = await scratch.fresh();
    const path = join(dir, "f");
    await writeFile(path, "old");
    await chmod(path, 0o640);
    expect(await codeOf(files.writeFileAtomic(ID, path, "new", { owner: "no_such_user_vm", mode: "600" }))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(files.writeFileAtomic(ID, path, "new", { group: "no_such_group_vm" }))).toBe("INVALID_ARGUMENT");
    expect(await readFile(path, "utf8")).toBe("old");
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it("chown to root as an unprivileged user: PERMISSION_DENIED", async () => {
    const files = createExecFileService({ provider: "local", exec: createLocalExec({ uid: NOBODY }).exec, stdin: true });
    const dir = await scratch.fresh();
    await chown(dir, NOBODY, NOBODY);
    const path = join(dir, "f");
    await files.writeFileAtomic(ID, path, "old");
    expect((await stat(path)).uid).toBe(NOBODY);
    expect(await codeOf(files.writeFileAtomic(ID, path, "new", { owner: "0" }))).toBe("PERMISSION_DENIED");
    expect(await readFile(path, "utf8")).toBe("old");
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it("a target that is a directory: INVALID_ARGUMENT, and the directory is untouched", async () => {
    const files = createExecFileService({ provider: "local", exec: createLocalExec().exec, stdin: false });
    const dir = await scratch.fresh();
    await mkdir(join(dir, "d"));
    await writeFile(join(dir, "d", "inside"), "x");
    expect(await codeOf(files.writeFileAtomic(ID, join(dir, "d"), "new"))).toBe("INVALID_ARGUMENT");
    expect(await readFile(join(dir, "d", "inside"), "utf8")).toBe("x");
    expect(await tempFilesIn(dir)).toEqual([]);
  });
});

describe("atomicWriteArgv (for providers with a streaming transport)", () => {
  it("runs the same atomic write as one exec with the content on stdin", async () => {
    const local = createLocalExec();
    const dir = await scratch.fresh();
    const path = join(dir, "new dir", "$(x) 'f'");
    const data = allBytes(3 * MiB);
    const result = await local.exec(ID, atomicWriteArgv(path, { createDirs: true, mode: "0600" }, "docker"), { stdin: data });
    expect(result.exit_code).toBe(0);
    expect(sameBytes(await readFile(path), data)).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("reports failures through fileErrorFromExecResult", async () => {
    const local = createLocalExec();
    const dir = await scratch.fresh();
    const path = join(dir, "missing", "f");
    const result = await local.exec(ID, atomicWriteArgv(path), { stdin: "x" });
    const err = fileErrorFromExecResult(result, { provider: "docker", operation: "files.writeFileAtomic", path });
    expect(err).toMatchObject({ name: "VMError", code: "NOT_FOUND", provider: "docker", operation: "files.writeFileAtomic" });
  });

  // A client that dies mid-upload closes stdin: EOF must not pass for "upload complete".
  it("publishes nothing when stdin ends before the expected byte count (atomic and in place)", async () => {
    const local = createLocalExec();
    const dir = await scratch.fresh();
    const path = join(dir, "target");
    await writeFile(path, "OLD");
    const short = allBytes(64 * 1024);
    const atomic = await local.exec(ID, atomicWriteArgv(path, {}, "docker", 1024 * 1024), { stdin: short });
    expect(atomic.exit_code).not.toBe(0);
    expect(fileErrorFromExecResult(atomic, { provider: "docker", operation: "files.writeFileAtomic", path }).code).toBe("UNAVAILABLE");
    expect(await readFile(path, "utf8")).toBe("OLD");
    expect(await tempFilesIn(dir)).toEqual([]);
    // An in-place write that would create the file leaves no truncated new file either.
    const fresh = join(dir, "fresh");
    const step = { how: "inplace", phase: "all", source: "stdin", path: fresh, suffix: tempFileSuffix(), size: 1024 * 1024 } as const;
    const inplace = await local.exec(ID, fileWriteArgv(step), { stdin: short });
    expect(inplace.exit_code).not.toBe(0);
    await expect(stat(fresh)).rejects.toMatchObject({ code: "ENOENT" });
    // The exact count still succeeds.
    const exact = await local.exec(ID, atomicWriteArgv(path, {}, "docker", short.byteLength), { stdin: short });
    expect(exact.exit_code).toBe(0);
    expect(sameBytes(await readFile(path), short)).toBe(true);
  });

  it("validates before building anything", () => {
    expect(() => atomicWriteArgv("relative")).toThrow(/absolute/);
    expect(() => atomicWriteArgv("/a", { mode: "$(x)" })).toThrow(/mode/);
    expect(() => atomicWriteArgv("/a", { owner: "a;b" })).toThrow(/owner/);
    const argv = atomicWriteArgv("/a b/c", { owner: "root" });
    expect(argv.slice(0, 2)).toEqual(["bash", "-c"]);
    expect(argv[2]).not.toContain("/a b/c");
    expect(argv).toContain("/a b/c");
  });
});
