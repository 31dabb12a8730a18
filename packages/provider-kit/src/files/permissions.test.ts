import { chmod, chown, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Scratch, codeOf, createScratch, tempFilesIn } from "../test-support/helpers.js";
import { createLocalExec } from "../test-support/local-exec.js";
import { createExecFileService } from "./exec-file-service.js";

const ID = "local";
const NOBODY = 65534;
let scratch: Scratch;

beforeAll(async () => {
  scratch = await createScratch("vm-perm-");
});
afterAll(async () => {
  await scratch.dispose();
});

// The tests run as root, so the scripts run as `nobody` (setpriv) to meet real EACCES/EPERM.
for (const stdin of [true, false]) {
  describe(`PERMISSION_DENIED for an unprivileged user (stdin: ${stdin})`, () => {
    const files = createExecFileService({ provider: "local", exec: createLocalExec({ uid: NOBODY }).exec, stdin });

    it("every operation that touches what it may not", async () => {
      const dir = await scratch.fresh(); // root-owned, 0755: readable, not writable
      await writeFile(join(dir, "secret"), "top secret");
      await chmod(join(dir, "secret"), 0o600);
      await writeFile(join(dir, "public"), "hello");
      await chmod(join(dir, "public"), 0o644);
      await mkdir(join(dir, "closed"), { mode: 0o700 });
      await writeFile(join(dir, "closed", "inside"), "x");
      await mkdir(join(dir, "sub"));
      await writeFile(join(dir, "sub", "f"), "x");

      const denied = {
        readFile: await codeOf(files.readFile(ID, join(dir, "secret"))),
        readFileBytes: await codeOf(files.readFileBytes(ID, join(dir, "secret"))),
        readUnderClosedDir: await codeOf(files.readFile(ID, join(dir, "closed", "inside"))),
        writeFile: await codeOf(files.writeFile(ID, join(dir, "new"), "x")),
        overwriteFile: await codeOf(files.writeFile(ID, join(dir, "public"), "x")),
        writeFileAtomic: await codeOf(files.writeFileAtomic(ID, join(dir, "public"), "x")),
        writeFileAtomicCreateDirs: await codeOf(files.writeFileAtomic(ID, join(dir, "a", "b"), "x", { createDirs: true })),
        copyFile: await codeOf(files.copyFile(ID, join(dir, "public"), join(dir, "copy"))),
        copyFromSecret: await codeOf(files.copyFile(ID, join(dir, "secret"), "/tmp/vm-perm-never")),
        moveFile: await codeOf(files.moveFile(ID, join(dir, "public"), join(dir, "moved"))),
        deleteFile: await codeOf(files.deleteFile(ID, join(dir, "public"))),
        createDirectory: await codeOf(files.createDirectory(ID, join(dir, "d"))),
        createDirectoryRecursive: await codeOf(files.createDirectory(ID, join(dir, "d", "e"), true)),
        listDirectory: await codeOf(files.listDirectory(ID, join(dir, "closed"))),
        deleteDirectory: await codeOf(files.deleteDirectory(ID, join(dir, "sub"))),
      };
      expect(denied).toEqual(Object.fromEntries(Object.keys(denied).map((k) => [k, "PERMISSION_DENIED"])));

      // Nothing changed, nothing leaked, and no error message carries file content.
      expect((await readdir(dir)).sort()).toEqual(["closed", "public", "secret", "sub"]);
      expect(await readFile(join(dir, "public"), "utf8")).toBe("hello");
      expect(await readdir(join(dir, "sub"))).toEqual(["f"]);
      expect(await tempFilesIn(dir)).toEqual([]);
      const err = await files.readFile(ID, join(dir, "secret")).catch((e: unknown) => e);
      expect(String((err as Error).message)).not.toContain("top secret");
      expect((err as Error).message).toContain("secret"); // the path, JSON-quoted
    });

    it("fileExists and isDirectory answer false where the user cannot look", async () => {
      const dir = await scratch.fresh();
      await mkdir(join(dir, "closed"), { mode: 0o700 });
      await mkdir(join(dir, "closed", "d"));
      expect(await files.fileExists(ID, join(dir, "closed", "d"))).toBe(false);
      expect(await files.isDirectory(ID, join(dir, "closed", "d"))).toBe(false);
      expect(await files.isDirectory(ID, join(dir, "closed"))).toBe(true);
    });

    it("works normally in a directory the user owns", async () => {
      const dir = await scratch.fresh();
      await chown(dir, NOBODY, NOBODY);
      await files.writeFileAtomic(ID, join(dir, "x", "f"), "mine", { createDirs: true, mode: "600" });
      expect(await files.readFile(ID, join(dir, "x", "f"))).toBe("mine");
      await files.deleteDirectory(ID, join(dir, "x"));
      expect(await readdir(dir)).toEqual([]);
    });
  });
}
