import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { VMFileService } from "@vm/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Scratch, codeOf, createScratch, tempFilesIn } from "../test-support/helpers.js";
import { createLocalExec } from "../test-support/local-exec.js";
import { createExecFileService } from "./exec-file-service.js";

const ID = "local";
let scratch: Scratch;
let canary: string;

beforeAll(async () => {
  scratch = await createScratch("vm-hostile-");
  canary = join(scratch.root, "CANARY");
});
afterAll(async () => {
  await scratch.dispose();
});
// If any value ever ran as a command, it touched the canary.
afterEach(() => {
  expect(existsSync(canary), "a hostile value ran a command").toBe(false);
});

// Names cannot hold "/", so they touch the relative CANARY: every exec runs in the scratch
// root (see createLocalExec's cwd), where the afterEach check looks.
function hostileNames(): string[] {
  return [
    "$(touch CANARY)",
    "`touch CANARY`",
    "'; touch CANARY; '",
    '"; touch CANARY; "',
    "x; touch CANARY",
    "x && touch CANARY",
    "| touch CANARY",
    "> CANARY",
    "new\nline",
    "trailing newline\n",
    "\r\ttabs and CR",
    "-rf",
    "--",
    "-n",
    "--help",
    "-",
    "  spaced  name  ",
    "*",
    "?",
    "[a-z]*",
    "{a,b}",
    "~",
    "$HOME",
    "${IFS}",
    "%s%n%x",
    "\\back\\slash\\",
    "'single'",
    '"double"',
    "ünïcödé ✓ 🙂 日本語",
    "\u202Eright-to-left",
    ".vm-tmp.x",
    "!!",
    "a=b",
    "if=x of=y",
  ];
}

// A few at a time: each call is a real bash process.
async function inBatches<T>(items: T[], fn: (item: T) => Promise<unknown>, size = 4): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

const hostileContents = (): (string | Uint8Array)[] => [
  `$(touch ${canary})`,
  `\`touch ${canary}\`\n'"; rm -rf / ; "'`,
  "line1\nline2\r\n\0nul\0inside",
  "-n",
  "-e \\x41",
  "%s%s%s%n",
  "* ? [a] {a,b} ~ $HOME ${IFS}",
  "ünïcödé ✓ 🙂",
  new Uint8Array([0x2d, 0x2d, 0x0a, 0x00, 0xff, 0x24, 0x28]),
];

for (const stdin of [true, false]) {
  describe(`hostile values are used literally (stdin: ${stdin})`, () => {
    const local = createLocalExec({ cwd: () => scratch.root });
    const files: VMFileService = createExecFileService({ provider: "local", exec: local.exec, stdin });

    it("as file names for writeFile, writeFileAtomic and readFile", async () => {
      const dir = await scratch.fresh();
      await inBatches(hostileNames(), async (name) => {
        const path = join(dir, name);
        await files.writeFile(ID, path, `content of ${name}`);
        expect(await readFile(path, "utf8")).toBe(`content of ${name}`);
        await files.writeFileAtomic(ID, path, `${name}!`, { mode: "640" });
        expect(await files.readFile(ID, path)).toBe(`${name}!`);
        expect((await stat(path)).mode & 0o777).toBe(0o640);
      });
      expect((await readdir(dir)).sort()).toEqual(hostileNames().sort());
    });

    it("as contents: every byte comes back as written", async () => {
      const dir = await scratch.fresh();
      for (const [index, content] of hostileContents().entries()) {
        const path = join(dir, `c${index}`);
        await files.writeFile(ID, path, content);
        const expected = typeof content === "string" ? Buffer.from(content) : Buffer.from(content);
        expect(Buffer.compare(await readFile(path), expected)).toBe(0);
        await files.writeFileAtomic(ID, path, content);
        expect(Buffer.compare(Buffer.from(await files.readFileBytes(ID, path)), expected)).toBe(0);
        if (typeof content === "string") expect(await files.readFile(ID, path)).toBe(content);
      }
    });

    it("modes, owners and groups that are not valid are rejected before any exec", async () => {
      const dir = await scratch.fresh();
      const path = join(dir, "target");
      await writeFile(path, "old");
      const badModes = [`600; touch ${canary}`, `$(touch ${canary})`, `\`touch ${canary}\``, "-R", "u+x", "888", "77", "07777", " 600", "600\n", "", "6 0 0"];
      const badPrincipals = [`root; touch ${canary}`, `$(touch ${canary})`, `\`touch ${canary}\``, "-R", "--reference=/etc", "root:root", "a b", "../x", "", "root\n", "ünï", "*", "$USER"];
      const before = local.calls.length;
      for (const mode of badModes) {
        expect(await codeOf(files.writeFileAtomic(ID, path, "new", { mode }))).toBe("INVALID_ARGUMENT");
      }
      for (const name of badPrincipals) {
        expect(await codeOf(files.writeFileAtomic(ID, path, "new", { owner: name }))).toBe("INVALID_ARGUMENT");
        expect(await codeOf(files.writeFileAtomic(ID, path, "new", { group: name }))).toBe("INVALID_ARGUMENT");
      }
      expect(local.calls.length).toBe(before);
      expect(await readFile(path, "utf8")).toBe("old");
      expect(await tempFilesIn(dir)).toEqual([]);
    });

    it("bad paths, ids and contents are rejected before any exec", async () => {
      const dir = await scratch.fresh();
      const before = local.calls.length;
      const badPaths: unknown[] = ["relative/path", "", "./x", "~/x", `${dir}/nul\0byte`, 42, null, undefined, ["/a"], `/${"a".repeat(5000)}`];
      for (const bad of badPaths) {
        const path = bad as string;
        const results = await Promise.all([
          codeOf(files.readFile(ID, path)),
          codeOf(files.readFileBytes(ID, path)),
          codeOf(files.writeFile(ID, path, "x")),
          codeOf(files.writeFileAtomic(ID, path, "x")),
          codeOf(files.copyFile(ID, path, join(dir, "x"))),
          codeOf(files.copyFile(ID, join(dir, "x"), path)),
          codeOf(files.moveFile(ID, path, join(dir, "x"))),
          codeOf(files.moveFile(ID, join(dir, "x"), path)),
          codeOf(files.deleteFile(ID, path)),
          codeOf(files.fileExists(ID, path)),
          codeOf(files.createDirectory(ID, path)),
          codeOf(files.listDirectory(ID, path)),
          codeOf(files.isDirectory(ID, path)),
          codeOf(files.deleteDirectory(ID, path)),
        ]);
        expect(new Set(results)).toEqual(new Set(["INVALID_ARGUMENT"]));
      }
      for (const content of [42, null, undefined, { length: 3 }, [1, 2, 3], new Uint16Array(2), new ArrayBuffer(4)]) {
        expect(await codeOf(files.writeFile(ID, join(dir, "f"), content as never))).toBe("INVALID_ARGUMENT");
        expect(await codeOf(files.writeFileAtomic(ID, join(dir, "f"), content as never))).toBe("INVALID_ARGUMENT");
      }
      for (const id of ["", `x\0y`, 7, null]) {
        expect(await codeOf(files.readFile(id as string, join(dir, "f")))).toBe("INVALID_ARGUMENT");
      }
      expect(await codeOf(files.writeFileAtomic(ID, join(dir, "f"), "x", { createDirs: "yes" } as never))).toBe("INVALID_ARGUMENT");
      expect(await codeOf(files.writeFileAtomic(ID, join(dir, "f"), "x", "600" as never))).toBe("INVALID_ARGUMENT");
      expect(await codeOf(files.createDirectory(ID, join(dir, "d"), "yes" as never))).toBe("INVALID_ARGUMENT");
      expect(local.calls.length).toBe(before);
      expect(await readdir(dir)).toEqual([]);
    });

    it("valid but unusual owners are passed literally: numeric ids work, unknown names are INVALID_ARGUMENT", async () => {
      const dir = await scratch.fresh();
      const path = join(dir, "f");
      await files.writeFileAtomic(ID, path, "a", { owner: "65534", group: "0" });
      expect([(await stat(path)).uid, (await stat(path)).gid]).toEqual([65534, 0]);
      for (const owner of ["no_such_user_vm", "_x.y-z", "x$"]) {
        expect(await codeOf(files.writeFileAtomic(ID, path, "b", { owner }))).toBe("INVALID_ARGUMENT");
        expect(await codeOf(files.writeFileAtomic(ID, path, "b", { group: owner }))).toBe("INVALID_ARGUMENT");
      }
      expect(await readFile(path, "utf8")).toBe("a");
      expect(await tempFilesIn(dir)).toEqual([]);
    });
  });
}

// These scripts take no content, so one transport mode covers them.
describe("hostile names in every other operation", () => {
  const files = createExecFileService({ provider: "local", exec: createLocalExec({ cwd: () => scratch.root }).exec, stdin: true });

  it("fileExists, isDirectory, copyFile, moveFile, listDirectory, deleteFile", async () => {
    const dir = await scratch.fresh();
    await Promise.all(hostileNames().map((name) => writeFile(join(dir, name), name)));
    await inBatches(hostileNames(), async (name) => {
      const path = join(dir, name);
      expect(await files.fileExists(ID, path)).toBe(true);
      expect(await files.isDirectory(ID, path)).toBe(false);
      await files.copyFile(ID, path, `${path}.copy`);
      await files.moveFile(ID, `${path}.copy`, `${path}.moved`);
      expect(await readFile(`${path}.moved`, "utf8")).toBe(name);
    });
    const expected = hostileNames().flatMap((n) => [n, `${n}.moved`]).sort();
    expect((await files.listDirectory(ID, dir)).map((e) => e.name).sort()).toEqual(expected);
    await inBatches(expected, (name) => files.deleteFile(ID, join(dir, name)));
    expect(await readdir(dir)).toEqual([]);
  });

  it("createDirectory (plain and recursive), writeFileAtomic with createDirs, listDirectory, deleteDirectory", async () => {
    const dir = await scratch.fresh();
    await inBatches(hostileNames(), async (name) => {
      const sub = join(dir, name);
      await files.createDirectory(ID, sub);
      await files.createDirectory(ID, join(sub, name, name), true);
      expect(await files.isDirectory(ID, join(sub, name, name))).toBe(true);
      await files.writeFileAtomic(ID, join(sub, "new", name, "f"), name, { createDirs: true });
      expect(await readFile(join(sub, "new", name, "f"), "utf8")).toBe(name);
      expect((await files.listDirectory(ID, sub)).map((e) => e.name).sort()).toEqual([name, "new"].sort());
      await files.deleteDirectory(ID, sub);
      expect(existsSync(sub)).toBe(false);
    });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe("directory entries the shell might expand", () => {
  it("listing a directory whose entries look like globs or options returns exactly them", async () => {
    const files = createExecFileService({ provider: "local", exec: createLocalExec({ cwd: () => scratch.root }).exec, stdin: true });
    const dir = await scratch.fresh();
    await mkdir(join(dir, "-maxdepth"));
    await writeFile(join(dir, "-delete"), "");
    await writeFile(join(dir, "*"), "");
    expect((await files.listDirectory(ID, dir)).map((e) => e.name).sort()).toEqual(["*", "-delete", "-maxdepth"]);
    expect(existsSync(join(dir, "-delete"))).toBe(true);
  });
});
