import { lstat, mkdir, readFile, readdir, readlink, stat, symlink, writeFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import type { VMFileService } from "@vm/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Scratch, codeOf, createScratch } from "../test-support/helpers.js";
import { createLocalExec } from "../test-support/local-exec.js";
import { FILE_DELETE_DIRECTORY_SCRIPT, FILE_SCRIPT_NAME } from "./scripts.js";
import { createExecFileService } from "./exec-file-service.js";

// The path rules of VMFileService (see @vm/core) over the real scripts and real bash.
const ID = "local";
let scratch: Scratch;

beforeAll(async () => {
  scratch = await createScratch();
});
afterAll(async () => {
  await scratch.dispose();
});

/** A directory with `tdir/keep`, `tfile` (mode 600) and links `ldir` -> tdir, `lfile` -> tfile. */
async function linked(): Promise<string> {
  const dir = await scratch.fresh();
  await mkdir(join(dir, "tdir"));
  await writeFile(join(dir, "tdir", "keep"), "keep");
  await writeFile(join(dir, "tfile"), "target");
  await chmod(join(dir, "tfile"), 0o600);
  await symlink("tdir", join(dir, "ldir"));
  await symlink("tfile", join(dir, "lfile"));
  return dir;
}

async function targetsUntouched(dir: string): Promise<void> {
  expect(await readFile(join(dir, "tfile"), "utf8")).toBe("target");
  expect((await stat(join(dir, "tfile"))).mode & 0o777).toBe(0o600);
  expect(await readdir(join(dir, "tdir"))).toEqual(["keep"]);
}

for (const stdin of [true, false]) {
  describe(`symbolic links and trailing slashes (stdin: ${stdin})`, () => {
    const local = createLocalExec();
    // A small maxRequestBytes spreads a base64 write over several execs (begin/append/commit).
    const files: VMFileService = createExecFileService({ provider: "local", exec: local.exec, stdin, maxRequestBytes: 16 * 1024 });
    const big = Buffer.alloc(100 * 1024, 7);

    it("deleteDirectory refuses a link to a directory with or without trailing slashes; the target keeps its files", async () => {
      const dir = await linked();
      for (const path of ["ldir", "ldir/", "ldir//", "ldir/.", "lfile/"]) {
        expect(await codeOf(files.deleteDirectory(ID, `${dir}/${path}`))).toBe("INVALID_ARGUMENT");
      }
      await targetsUntouched(dir);
      expect((await lstat(join(dir, "ldir"))).isSymbolicLink()).toBe(true);
      await files.deleteDirectory(ID, `${join(dir, "tdir")}/`);
      expect(await readdir(dir)).not.toContain("tdir");
    });

    it("the delete-directory script itself strips trailing slashes before it looks at the path", async () => {
      const dir = await linked();
      const result = await local.exec(ID, ["bash", "-c", FILE_DELETE_DIRECTORY_SCRIPT, FILE_SCRIPT_NAME, `${join(dir, "ldir")}//`]);
      expect(result.exit_code).not.toBe(0);
      await targetsUntouched(dir);
    });

    for (const [name, op, expected] of [
      ["writeFile", (f: VMFileService, p: string) => f.writeFile(ID, p, "new"), "new"],
      ["writeFile (several execs)", (f: VMFileService, p: string) => f.writeFile(ID, p, big), big.toString()],
      ["writeFileAtomic", (f: VMFileService, p: string) => f.writeFileAtomic(ID, p, "new"), "new"],
      ["writeFileAtomic (several execs)", (f: VMFileService, p: string) => f.writeFileAtomic(ID, p, big), big.toString()],
    ] as const) {
      it(`${name} onto a link (to a file, to a directory) replaces the link with a new file of the default mode`, async () => {
        const dir = await linked();
        for (const link of ["lfile", "ldir"]) {
          await op(files, join(dir, link));
          const st = await lstat(join(dir, link));
          expect(st.isFile()).toBe(true);
          expect(st.mode & 0o777).toBe(0o666 & ~process.umask());
          expect(await readFile(join(dir, link), "utf8")).toBe(expected);
        }
        await targetsUntouched(dir);
      });
    }

    it("copyFile and moveFile onto a link replace the link; moveFile's source moves the link itself", async () => {
      const dir = await linked();
      await writeFile(join(dir, "src"), "source");
      await files.copyFile(ID, join(dir, "src"), join(dir, "lfile"));
      await files.copyFile(ID, join(dir, "src"), join(dir, "ldir"));
      for (const link of ["lfile", "ldir"]) expect(await readFile(join(dir, link), "utf8")).toBe("source");
      await targetsUntouched(dir);
      await symlink("tfile", join(dir, "l2"));
      await files.moveFile(ID, join(dir, "l2"), join(dir, "moved"));
      expect(await readlink(join(dir, "moved"))).toBe("tfile");
      await files.moveFile(ID, join(dir, "src"), join(dir, "moved"));
      expect((await lstat(join(dir, "moved"))).isFile()).toBe(true);
      await targetsUntouched(dir);
    });

    it("a trailing slash is INVALID_ARGUMENT on file operations, before any work", async () => {
      const dir = await linked();
      const calls = local.calls.length;
      for (const bad of [`${join(dir, "tfile")}/`, `${join(dir, "new")}/`, `${dir}/..`, `${dir}/.`]) {
        expect(await codeOf(files.readFile(ID, bad))).toBe("INVALID_ARGUMENT");
        expect(await codeOf(files.readFileBytes(ID, bad))).toBe("INVALID_ARGUMENT");
        expect(await codeOf(files.writeFile(ID, bad, "x"))).toBe("INVALID_ARGUMENT");
        expect(await codeOf(files.writeFileAtomic(ID, bad, "x", { createDirs: true }))).toBe("INVALID_ARGUMENT");
        expect(await codeOf(files.copyFile(ID, bad, join(dir, "c")))).toBe("INVALID_ARGUMENT");
        expect(await codeOf(files.copyFile(ID, join(dir, "tfile"), bad))).toBe("INVALID_ARGUMENT");
        expect(await codeOf(files.moveFile(ID, bad, join(dir, "m")))).toBe("INVALID_ARGUMENT");
        expect(await codeOf(files.moveFile(ID, join(dir, "tfile"), bad))).toBe("INVALID_ARGUMENT");
        expect(await codeOf(files.deleteFile(ID, bad))).toBe("INVALID_ARGUMENT");
      }
      expect(local.calls.length).toBe(calls);
      await targetsUntouched(dir);
    });

    it("directory operations ignore trailing slashes and never follow a link because of one", async () => {
      const dir = await linked();
      expect(await files.isDirectory(ID, `${join(dir, "ldir")}/`)).toBe(true);
      expect(await files.fileExists(ID, `${join(dir, "ldir")}//`)).toBe(true);
      await files.createDirectory(ID, `${join(dir, "new")}/`, false);
      expect(await codeOf(files.createDirectory(ID, `${join(dir, "ldir")}/`, false))).toBe("ALREADY_EXISTS");
      await files.createDirectory(ID, `${join(dir, "ldir")}/`, true);
      expect(await codeOf(files.createDirectory(ID, join(dir, "lfile"), true))).toBe("ALREADY_EXISTS");
      expect((await files.listDirectory(ID, `${join(dir, "ldir")}/`)).map((e) => e.path)).toEqual([join(dir, "ldir", "keep")]);
      expect(await files.isDirectory(ID, "/")).toBe(true);
      expect(await files.isDirectory(ID, "///")).toBe(true);
    });
  });
}
