import { chown, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Scratch, codeOf, createScratch } from "../test-support/helpers.js";
import { createLocalExec } from "../test-support/local-exec.js";
import { createExecFileService } from "./exec-file-service.js";

const ID = "local";
const NOBODY = 65534;
let scratch: Scratch;

beforeAll(async () => {
  scratch = await createScratch("vm-owner-");
});
afterAll(async () => {
  await scratch.dispose();
});

// The tests run as root, where the scripts would chown: a provider without file ownership
// (capabilities.fileOwnership false) must refuse owner/group up front and never chown.
for (const stdin of [true, false]) {
  describe(`fileOwnership: false (stdin: ${stdin})`, () => {
    it("a writeFileAtomic with owner or group is UNSUPPORTED before any exec", async () => {
      const local = createLocalExec();
      const files = createExecFileService({ provider: "local", exec: local.exec, stdin, fileOwnership: false });
      const dir = await scratch.fresh();
      expect(await codeOf(files.writeFileAtomic(ID, join(dir, "a"), "x", { owner: "nobody" }))).toBe("UNSUPPORTED");
      expect(await codeOf(files.writeFileAtomic(ID, join(dir, "b"), "x", { group: "nogroup" }))).toBe("UNSUPPORTED");
      expect(await codeOf(files.writeFileAtomic(ID, join(dir, "c"), "x", { owner: "root", group: "root", mode: "600" }))).toBe("UNSUPPORTED");
      expect(local.calls).toHaveLength(0);
      // Bad input is still INVALID_ARGUMENT first.
      expect(await codeOf(files.writeFileAtomic(ID, join(dir, "d"), "x", { owner: 7 as unknown as string }))).toBe("INVALID_ARGUMENT");
    });

    it("replacing or copying over a file does not give the new file the old one's owner", async () => {
      const local = createLocalExec();
      const files = createExecFileService({ provider: "local", exec: local.exec, stdin, fileOwnership: false });
      const dir = await scratch.fresh();
      for (const name of ["atomic", "copied"]) {
        await writeFile(join(dir, name), "old");
        await chown(join(dir, name), NOBODY, NOBODY);
      }
      await writeFile(join(dir, "source"), "new");
      await files.writeFileAtomic(ID, join(dir, "atomic"), "new");
      await files.copyFile(ID, join(dir, "source"), join(dir, "copied"));
      for (const name of ["atomic", "copied"]) {
        expect(await readFile(join(dir, name), "utf8")).toBe("new");
        expect((await stat(join(dir, name))).uid, name).toBe(process.getuid!());
      }
    });
  });
}

describe("fileOwnership: true (the default)", () => {
  it("keeps the old file's owner and honours owner", async () => {
    const files = createExecFileService({ provider: "local", exec: createLocalExec().exec, stdin: true });
    const dir = await scratch.fresh();
    await writeFile(join(dir, "kept"), "old");
    await chown(join(dir, "kept"), NOBODY, NOBODY);
    await files.writeFileAtomic(ID, join(dir, "kept"), "new");
    await files.writeFileAtomic(ID, join(dir, "given"), "new", { owner: String(NOBODY) });
    expect((await stat(join(dir, "kept"))).uid).toBe(NOBODY);
    expect((await stat(join(dir, "given"))).uid).toBe(NOBODY);
  });

  it("rejects a fileOwnership that is not a boolean", () => {
    expect(() => createExecFileService({ provider: "local", exec: createLocalExec().exec, stdin: true, fileOwnership: "no" as unknown as boolean })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});
