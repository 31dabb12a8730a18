import { existsSync } from "node:fs";
import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { VMFileService } from "@vm/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VMError } from "../errors.js";
import { type Scratch, allBytes, codeOf, createScratch } from "../test-support/helpers.js";
import { createLocalExec } from "../test-support/local-exec.js";
import { createExecFileService } from "./exec-file-service.js";

const ID = "local";
let scratch: Scratch;
const freshDir = () => scratch.fresh();

beforeAll(async () => {
  scratch = await createScratch();
});
afterAll(async () => {
  await scratch.dispose();
});

for (const stdin of [true, false]) {
  describe(`createExecFileService (stdin: ${stdin})`, () => {
    const local = createLocalExec();
    const files: VMFileService = createExecFileService({ provider: "local", exec: local.exec, stdin });

    it("writes and reads text, bytes and empty files", async () => {
      const dir = await freshDir();
      await files.writeFile(ID, join(dir, "a.txt"), "héllo\nwörld ✓\n");
      expect(await readFile(join(dir, "a.txt"), "utf8")).toBe("héllo\nwörld ✓\n");
      expect(await files.readFile(ID, join(dir, "a.txt"))).toBe("héllo\nwörld ✓\n");

      await files.writeFile(ID, join(dir, "empty"), "");
      expect((await stat(join(dir, "empty"))).size).toBe(0);
      expect(await files.readFile(ID, join(dir, "empty"))).toBe("");
      expect((await files.readFileBytes(ID, join(dir, "empty"))).length).toBe(0);

      await files.writeFile(ID, join(dir, "one"), new Uint8Array([0]));
      expect([...(await files.readFileBytes(ID, join(dir, "one")))]).toEqual([0]);
    });

    it("round-trips every byte value exactly (1 MiB binary)", async () => {
      const dir = await freshDir();
      const data = allBytes(1024 * 1024);
      await files.writeFileAtomic(ID, join(dir, "bin"), data);
      expect(Buffer.compare(await readFile(join(dir, "bin")), Buffer.from(data))).toBe(0);
      const back = await files.readFileBytes(ID, join(dir, "bin"));
      expect(back).toBeInstanceOf(Uint8Array);
      expect(Buffer.compare(Buffer.from(back), Buffer.from(data))).toBe(0);
    });

    it("readFile / readFileBytes: NOT_FOUND, INVALID_ARGUMENT for a directory", async () => {
      const dir = await freshDir();
      expect(await codeOf(files.readFile(ID, join(dir, "missing")))).toBe("NOT_FOUND");
      expect(await codeOf(files.readFileBytes(ID, join(dir, "missing", "deeper")))).toBe("NOT_FOUND");
      expect(await codeOf(files.readFile(ID, dir))).toBe("INVALID_ARGUMENT");
      await writeFile(join(dir, "f"), "x");
      expect(await codeOf(files.readFile(ID, join(dir, "f", "under-a-file")))).toBe("INVALID_ARGUMENT");
    });

    it("writeFile replaces content in place, needs the parent, refuses a directory", async () => {
      const dir = await freshDir();
      const path = join(dir, "f");
      await files.writeFile(ID, path, "first, longer content");
      await files.writeFile(ID, path, "second");
      expect(await readFile(path, "utf8")).toBe("second");
      expect(await codeOf(files.writeFile(ID, join(dir, "no", "such", "f"), "x"))).toBe("NOT_FOUND");
      expect(existsSync(join(dir, "no"))).toBe(false);
      expect(await codeOf(files.writeFile(ID, dir, "x"))).toBe("INVALID_ARGUMENT");
      expect(await codeOf(files.writeFile(ID, `${path}/`, "x"))).toBe("INVALID_ARGUMENT");
      expect(await codeOf(files.writeFile(ID, join(path, "child"), "x"))).toBe("INVALID_ARGUMENT");
    });

    it("writeFileAtomic applies mode, createDirs, owner and group; keeps no temp file", async () => {
      const dir = await freshDir();
      const path = join(dir, "a", "b", "config.json");
      expect(await codeOf(files.writeFileAtomic(ID, path, "{}"))).toBe("NOT_FOUND");
      await files.writeFileAtomic(ID, path, '{"port":3000}', { createDirs: true, mode: "600", owner: "0", group: "root" });
      const info = await stat(path);
      expect(info.mode & 0o7777).toBe(0o600);
      expect([info.uid, info.gid]).toEqual([0, 0]);
      expect(await readFile(path, "utf8")).toBe('{"port":3000}');
      await files.writeFileAtomic(ID, path, "v2", { owner: "65534", group: "65534", mode: "0640" });
      const info2 = await stat(path);
      expect([info2.uid, info2.gid, info2.mode & 0o7777]).toEqual([65534, 65534, 0o640]);
      // Without options, a replaced file keeps its mode and owner.
      await files.writeFileAtomic(ID, path, "v3");
      const info3 = await stat(path);
      expect([info3.uid, info3.gid, info3.mode & 0o7777]).toEqual([65534, 65534, 0o640]);
      expect(await readdir(join(dir, "a", "b"))).toEqual(["config.json"]);
      expect(await codeOf(files.writeFileAtomic(ID, dir, "x"))).toBe("INVALID_ARGUMENT");
    });

    it("copyFile and moveFile", async () => {
      const dir = await freshDir();
      await writeFile(join(dir, "src"), "content");
      await files.copyFile(ID, join(dir, "src"), join(dir, "copy"));
      expect(await readFile(join(dir, "copy"), "utf8")).toBe("content");
      await files.moveFile(ID, join(dir, "copy"), join(dir, "moved"));
      expect(existsSync(join(dir, "copy"))).toBe(false);
      expect(await readFile(join(dir, "moved"), "utf8")).toBe("content");
      await mkdir(join(dir, "sub"));
      await files.moveFile(ID, join(dir, "sub"), join(dir, "sub2"));
      expect((await stat(join(dir, "sub2"))).isDirectory()).toBe(true);
      expect(await codeOf(files.copyFile(ID, join(dir, "nope"), join(dir, "x")))).toBe("NOT_FOUND");
      expect(await codeOf(files.moveFile(ID, join(dir, "nope"), join(dir, "x")))).toBe("NOT_FOUND");
      expect(await codeOf(files.copyFile(ID, join(dir, "src"), join(dir, "no", "x")))).toBe("NOT_FOUND");
      expect(await codeOf(files.copyFile(ID, join(dir, "sub2"), join(dir, "x")))).toBe("INVALID_ARGUMENT");
      expect(await codeOf(files.copyFile(ID, join(dir, "src"), join(dir, "sub2")))).toBe("INVALID_ARGUMENT");
      expect(await codeOf(files.moveFile(ID, join(dir, "src"), join(dir, "sub2")))).toBe("INVALID_ARGUMENT");
      expect(existsSync(join(dir, "x"))).toBe(false);
    });

    it("copyFile that fails mid-copy leaves the destination as it was and no temp file; modes like cp", async () => {
      const dir = await freshDir();
      await writeFile(join(dir, "dst"), "old");
      await chmod(join(dir, "dst"), 0o640);
      // Reading /proc/self/mem at offset 0 fails with EIO: a copy that breaks after it started.
      const err = await files.copyFile(ID, "/proc/self/mem", join(dir, "dst")).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "INTERNAL" });
      expect(await readFile(join(dir, "dst"), "utf8")).toBe("old");
      expect(await codeOf(files.copyFile(ID, "/proc/self/mem", join(dir, "new")))).toBe("INTERNAL");
      expect((await readdir(dir)).sort()).toEqual(["dst"]);
      // An existing destination keeps its mode; a new one gets the source's, less the umask (022 here).
      await writeFile(join(dir, "src"), "new");
      await chmod(join(dir, "src"), 0o777);
      await files.copyFile(ID, join(dir, "src"), join(dir, "dst"));
      expect(await readFile(join(dir, "dst"), "utf8")).toBe("new");
      expect((await stat(join(dir, "dst"))).mode & 0o7777).toBe(0o640);
      await files.copyFile(ID, join(dir, "src"), join(dir, "fresh"));
      expect((await stat(join(dir, "fresh"))).mode & 0o7777).toBe(0o777 & ~process.umask());
      expect((await readdir(dir)).sort()).toEqual(["dst", "fresh", "src"]);
    });

    it("deleteFile, deleteDirectory", async () => {
      const dir = await freshDir();
      await writeFile(join(dir, "f"), "x");
      await mkdir(join(dir, "d", "e"), { recursive: true });
      await writeFile(join(dir, "d", "e", "g"), "x");
      await symlink(join(dir, "d"), join(dir, "link-to-d"));
      await symlink(join(dir, "gone"), join(dir, "dangling"));

      expect(await codeOf(files.deleteFile(ID, join(dir, "d")))).toBe("INVALID_ARGUMENT");
      expect(await codeOf(files.deleteFile(ID, join(dir, "missing")))).toBe("NOT_FOUND");
      expect(await codeOf(files.deleteDirectory(ID, join(dir, "f")))).toBe("INVALID_ARGUMENT");
      expect(await codeOf(files.deleteDirectory(ID, join(dir, "link-to-d")))).toBe("INVALID_ARGUMENT");
      expect(await codeOf(files.deleteDirectory(ID, join(dir, "missing")))).toBe("NOT_FOUND");
      expect(await codeOf(files.deleteDirectory(ID, "/"))).toBe("INVALID_ARGUMENT");

      await files.deleteFile(ID, join(dir, "f"));
      await files.deleteFile(ID, join(dir, "dangling"));
      await files.deleteFile(ID, join(dir, "link-to-d"));
      expect(existsSync(join(dir, "d", "e", "g"))).toBe(true);
      await files.deleteDirectory(ID, join(dir, "d"));
      expect(await readdir(dir)).toEqual([]);
    });

    it("fileExists and isDirectory", async () => {
      const dir = await freshDir();
      await writeFile(join(dir, "f"), "x");
      await symlink(join(dir, "gone"), join(dir, "dangling"));
      expect(await files.fileExists(ID, join(dir, "f"))).toBe(true);
      expect(await files.fileExists(ID, dir)).toBe(true);
      expect(await files.fileExists(ID, join(dir, "dangling"))).toBe(true);
      expect(await files.fileExists(ID, join(dir, "missing"))).toBe(false);
      expect(await files.isDirectory(ID, dir)).toBe(true);
      expect(await files.isDirectory(ID, join(dir, "f"))).toBe(false);
      expect(await files.isDirectory(ID, join(dir, "missing"))).toBe(false);
    });

    it("createDirectory, recursive or not", async () => {
      const dir = await freshDir();
      await files.createDirectory(ID, join(dir, "a"));
      expect(await codeOf(files.createDirectory(ID, join(dir, "a")))).toBe("ALREADY_EXISTS");
      expect(await codeOf(files.createDirectory(ID, join(dir, "x", "y")))).toBe("NOT_FOUND");
      await files.createDirectory(ID, join(dir, "x", "y", "z"), true);
      await files.createDirectory(ID, join(dir, "x", "y", "z"), true);
      expect((await stat(join(dir, "x", "y", "z"))).isDirectory()).toBe(true);
      await writeFile(join(dir, "f"), "x");
      expect(await codeOf(files.createDirectory(ID, join(dir, "f"), true))).toBe("ALREADY_EXISTS");
      expect(await codeOf(files.createDirectory(ID, join(dir, "f")))).toBe("ALREADY_EXISTS");
      expect(await codeOf(files.createDirectory(ID, join(dir, "f", "sub"), true))).toBe("INVALID_ARGUMENT");
    });

    it("listDirectory returns every entry, names with newlines included", async () => {
      const dir = await freshDir();
      await writeFile(join(dir, "plain.txt"), "12345");
      await writeFile(join(dir, "new\nline"), "");
      await writeFile(join(dir, " spaced * glob?"), "");
      await writeFile(join(dir, "-rf"), "");
      await writeFile(join(dir, "ünï ✓"), "");
      await mkdir(join(dir, "sub"));
      await symlink(join(dir, "sub"), join(dir, "link"));
      const before = Date.now();
      const entries = await files.listDirectory(ID, dir);
      expect(entries.map((e) => e.name).sort()).toEqual([" spaced * glob?", "-rf", "link", "new\nline", "plain.txt", "sub", "ünï ✓"].sort());
      const plain = entries.find((e) => e.name === "plain.txt")!;
      expect(plain).toMatchObject({ path: join(dir, "plain.txt"), isDirectory: false, size: 5 });
      expect(plain.modified).toBeInstanceOf(Date);
      expect(Math.abs(plain.modified!.getTime() - before)).toBeLessThan(60_000);
      expect(entries.find((e) => e.name === "sub")!.isDirectory).toBe(true);
      expect(entries.find((e) => e.name === "link")!.isDirectory).toBe(true);
      expect(entries.find((e) => e.name === "new\nline")!.path).toBe(join(dir, "new\nline"));
      expect(await files.listDirectory(ID, join(dir, "sub"))).toEqual([]);
      expect(await codeOf(files.listDirectory(ID, join(dir, "missing")))).toBe("NOT_FOUND");
      expect(await codeOf(files.listDirectory(ID, join(dir, "plain.txt")))).toBe("INVALID_ARGUMENT");
    });

    it("writes 96 KiB + 1 bytes, the size where `echo <base64> | base64 -d` breaks", async () => {
      const dir = await freshDir();
      const data = allBytes(96 * 1024 + 1);
      await files.writeFile(ID, join(dir, "w"), data);
      await files.writeFileAtomic(ID, join(dir, "a"), data);
      expect(Buffer.compare(await readFile(join(dir, "w")), Buffer.from(data))).toBe(0);
      expect(Buffer.compare(await readFile(join(dir, "a")), Buffer.from(data))).toBe(0);
    });
  });
}

describe("edge cases", () => {
  const local = createLocalExec();
  const files = createExecFileService({ provider: "local", exec: local.exec, stdin: true });

  it("readFile keeps a byte-order mark and invalid UTF-8 becomes U+FFFD", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "bom"), Buffer.from([0xef, 0xbb, 0xbf, 0x61]));
    expect(await files.readFile(ID, join(dir, "bom"))).toBe("\uFEFFa");
    await writeFile(join(dir, "bad"), Buffer.from([0x61, 0xff, 0x62]));
    expect(await files.readFile(ID, join(dir, "bad"))).toBe("a\uFFFDb");
    expect([...(await files.readFileBytes(ID, join(dir, "bad")))]).toEqual([0x61, 0xff, 0x62]);
  });

  it("moving a directory onto a non-empty directory is ALREADY_EXISTS, onto a file INVALID_ARGUMENT", async () => {
    const dir = await freshDir();
    await mkdir(join(dir, "a"));
    await mkdir(join(dir, "b"));
    await writeFile(join(dir, "b", "keep"), "x");
    await writeFile(join(dir, "f"), "x");
    expect(await codeOf(files.moveFile(ID, join(dir, "a"), join(dir, "b")))).toBe("ALREADY_EXISTS");
    expect(await codeOf(files.moveFile(ID, join(dir, "a"), join(dir, "f")))).toBe("INVALID_ARGUMENT");
    expect((await readdir(dir)).sort()).toEqual(["a", "b", "f"]);
  });

  it("listDirectory refuses a directory holding names that are not UTF-8 (they could not round-trip)", async () => {
    const dir = await freshDir();
    await writeFile(Buffer.from(`${dir}/\xff\xfe-latin1-`, "latin1"), "");
    await writeFile(join(dir, "ok"), "");
    expect(await codeOf(files.listDirectory(ID, dir))).toBe("INVALID_ARGUMENT");
    expect(await readdir(dir)).toHaveLength(2);
  });

  it("writeFileAtomic without mode gives a new file 0666 & ~umask and keeps an existing file's mode", async () => {
    const dir = await freshDir();
    await files.writeFileAtomic(ID, join(dir, "new"), "x");
    expect((await stat(join(dir, "new"))).mode & 0o777).toBe(0o666 & ~process.umask());
    await writeFile(join(dir, "old"), "x");
    await chmod(join(dir, "old"), 0o751);
    await files.writeFileAtomic(ID, join(dir, "old"), "y");
    expect((await stat(join(dir, "old"))).mode & 0o777).toBe(0o751);
  });

  it("a transport failure that is not a VMError becomes INTERNAL with its cause; a provider VMError passes through", async () => {
    const boom = new Error("socket closed");
    const broken = createExecFileService({ provider: "p", exec: () => Promise.reject(boom), stdin: true });
    const err = await broken.readFile(ID, "/x").catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "VMError", code: "INTERNAL", provider: "p", operation: "files.readFile", cause: boom });
    const gone = new VMError("NOT_FOUND", "instance i-1 not found", { provider: "p", operation: "instances.exec" });
    const missing = createExecFileService({ provider: "p", exec: () => Promise.reject(gone), stdin: false });
    expect(await missing.fileExists(ID, "/x").catch((e: unknown) => e)).toBe(gone);
  });

  it("output it cannot understand is INTERNAL, not a wrong answer", async () => {
    const liar = createExecFileService({ provider: "p", exec: async () => ({ stdout: "maybe\n", stderr: "", exit_code: 0 }), stdin: true });
    expect(await codeOf(liar.fileExists(ID, "/x"))).toBe("INTERNAL");
    expect(await codeOf(liar.readFile(ID, "/x"))).toBe("INTERNAL");
    expect(await codeOf(liar.listDirectory(ID, "/x"))).toBe("INTERNAL");
    const killed = createExecFileService({ provider: "p", exec: async () => ({ stdout: "", stderr: "", exit_code: 137 }), stdin: true });
    expect(await codeOf(killed.deleteFile(ID, "/x"))).toBe("INTERNAL");
  });
});

