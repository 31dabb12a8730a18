import { strict as assert } from "node:assert";
import { createHash, randomBytes } from "node:crypto";
import { expectVMError } from "../assertions.js";
import type { CaseContext, ConformanceCase } from "../types.js";
import { missingId, sharedScratch as setup } from "./util.js";

/** File names users really produce; each must be used literally. */
export const HOSTILE_NAMES: readonly string[] = [
  "with space",
  "single'quote",
  'double"quote',
  "$(touch pwned)",
  "`touch pwned`",
  "new\nline",
  "ünïcödé-✓-🚀",
  "-leading-dash",
  "--",
  "*glob?[x]",
  "back\\slash",
  "semi;colon&amp",
  ".hidden",
];

const SIZES: readonly [string, number][] = [
  ["0 B", 0],
  ["1 B", 1],
  ["96 KiB + 1", 96 * 1024 + 1],
  ["8 MiB", 8 * 1024 * 1024],
];

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function statOf(ctx: CaseContext, id: string, path: string, format: string): Promise<string> {
  const result = await ctx.provider.instances.exec(id, ["stat", "-c", format, "--", path]);
  assert.equal(result.exit_code, 0, `stat ${path}: ${result.stderr}`);
  return result.stdout.trim();
}

/**
 * File service cases: every method, text and binary, sizes, hostile paths, atomic writes and
 * their options, and errors.
 */
export const fileCases: readonly ConformanceCase[] = [
  {
    id: "files.text-roundtrip",
    title: "writeFile/readFile round-trip UTF-8 text; readFileBytes returns its bytes",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const text = "first line\nünïcödé ✓ 🚀\r\n\ttabbed $(not run) 'q' \"dq\"\nno trailing newline";
      await ctx.provider.files.writeFile(id, `${dir}/text.txt`, text);
      assert.equal(await ctx.provider.files.readFile(id, `${dir}/text.txt`), text);
      assert.deepEqual(Buffer.from(await ctx.provider.files.readFileBytes(id, `${dir}/text.txt`)), Buffer.from(text, "utf8"));
      assert.equal(await statOf(ctx, id, `${dir}/text.txt`, "%s"), String(Buffer.byteLength(text)), "the file in the VM has exactly the bytes written");
    },
  },
  {
    id: "files.binary-roundtrip",
    title: "writeFile/readFileBytes round-trip every byte value",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const bytes = new Uint8Array(4096).map((_, i) => (i * 7) % 256);
      await ctx.provider.files.writeFile(id, `${dir}/bin`, bytes);
      const back = await ctx.provider.files.readFileBytes(id, `${dir}/bin`);
      assert.ok(back instanceof Uint8Array, "readFileBytes returns a Uint8Array");
      assert.deepEqual(Buffer.from(back), Buffer.from(bytes));
      const sum = await ctx.provider.instances.exec(id, ["sha256sum", `${dir}/bin`]);
      assert.equal(sum.stdout.split(" ")[0], sha256(bytes), "the VM holds the same bytes");
    },
  },
  {
    id: "files.sizes",
    title: "writeFile and writeFileAtomic handle 0 B, 1 B, 96 KiB + 1 and 8 MiB",
    level: "MUST",
    needs: [],
    timeoutMs: 180_000,
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      for (const [label, size] of SIZES) {
        const bytes = new Uint8Array(randomBytes(size));
        for (const method of ["writeFile", "writeFileAtomic"] as const) {
          const path = `${dir}/${method}-${size}`;
          await ctx.provider.files[method](id, path, bytes);
          assert.equal(await statOf(ctx, id, path, "%s"), String(size), `${method} ${label}: size in the VM`);
          const sum = await ctx.provider.instances.exec(id, ["sha256sum", path]);
          assert.equal(sum.stdout.split(" ")[0], sha256(bytes), `${method} ${label}: content in the VM`);
          const back = await ctx.provider.files.readFileBytes(id, path);
          assert.equal(back.length, size, `${method} ${label}: readFileBytes length`);
          assert.equal(sha256(back), sha256(bytes), `${method} ${label}: readFileBytes content`);
        }
      }
    },
  },
  {
    id: "files.overwrite",
    title: "writeFile replaces a longer file completely",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      await ctx.provider.files.writeFile(id, `${dir}/f`, "a much longer original content\n");
      await ctx.provider.files.writeFile(id, `${dir}/f`, "short");
      assert.equal(await ctx.provider.files.readFile(id, `${dir}/f`), "short");
      await ctx.provider.files.writeFileAtomic(id, `${dir}/f`, "");
      assert.equal(await ctx.provider.files.readFile(id, `${dir}/f`), "");
    },
  },
  {
    id: "files.hostile-paths",
    title: "paths with spaces, quotes, $(…), newlines, unicode and leading dashes work with every method",
    level: "MUST",
    needs: [],
    timeoutMs: 300_000,
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      // All names at once: each name has its own directory, and it doubles as a concurrency check.
      await Promise.all(HOSTILE_NAMES.map(async (name) => {
        const sub = `${dir}/d-${name}`;
        const path = `${sub}/${name}`;
        await files.createDirectory(id, sub, false);
        assert.equal(await files.isDirectory(id, sub), true, `isDirectory ${JSON.stringify(sub)}`);
        await files.writeFile(id, path, `content of ${name}`);
        assert.equal(await files.fileExists(id, path), true, `fileExists ${JSON.stringify(path)}`);
        assert.equal(await files.readFile(id, path), `content of ${name}`, `readFile ${JSON.stringify(path)}`);
        const listed = await files.listDirectory(id, sub);
        assert.deepEqual(listed.map((e) => e.name), [name], `listDirectory ${JSON.stringify(sub)}`);
        assert.equal(listed[0]!.path, path);
        await files.copyFile(id, path, `${path}.copy`);
        assert.equal(await files.readFile(id, `${path}.copy`), `content of ${name}`, `copyFile ${JSON.stringify(path)}`);
        await files.moveFile(id, `${path}.copy`, `${path}.moved`);
        assert.equal(await files.fileExists(id, `${path}.copy`), false, `moveFile removes ${JSON.stringify(path)}.copy`);
        await files.writeFileAtomic(id, `${sub}/atomic ${name}`, "atomic", { mode: "640" });
        assert.equal(await files.readFile(id, `${sub}/atomic ${name}`), "atomic");
        await files.deleteFile(id, `${path}.moved`);
        assert.equal(await files.fileExists(id, `${path}.moved`), false, `deleteFile ${JSON.stringify(path)}.moved`);
        await files.deleteDirectory(id, sub);
        assert.equal(await files.fileExists(id, sub), false, `deleteDirectory ${JSON.stringify(sub)}`);
      }));
      const left = await ctx.sh(id, 'find "$1" -name "pwned*"', [dir]);
      assert.equal(left.stdout, "", "no command substitution happened");
      assert.equal((await ctx.provider.instances.exec(id, ["ls", "-A", dir])).stdout, "", "nothing else was created");
    },
  },
  {
    id: "files.invalid-path",
    title: "relative paths and NUL bytes are INVALID_ARGUMENT for every method",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      for (const bad of ["relative/path", "", `${dir}/nul\0byte`]) {
        await expectVMError(() => files.readFile(id, bad), "INVALID_ARGUMENT");
        await expectVMError(() => files.readFileBytes(id, bad), "INVALID_ARGUMENT");
        await expectVMError(() => files.writeFile(id, bad, "x"), "INVALID_ARGUMENT");
        await expectVMError(() => files.writeFileAtomic(id, bad, "x"), "INVALID_ARGUMENT");
        await expectVMError(() => files.copyFile(id, bad, `${dir}/x`), "INVALID_ARGUMENT");
        await expectVMError(() => files.copyFile(id, `${dir}/x`, bad), "INVALID_ARGUMENT");
        await expectVMError(() => files.moveFile(id, bad, `${dir}/x`), "INVALID_ARGUMENT");
        await expectVMError(() => files.deleteFile(id, bad), "INVALID_ARGUMENT");
        await expectVMError(() => files.fileExists(id, bad), "INVALID_ARGUMENT");
        await expectVMError(() => files.createDirectory(id, bad, true), "INVALID_ARGUMENT");
        await expectVMError(() => files.listDirectory(id, bad), "INVALID_ARGUMENT");
        await expectVMError(() => files.isDirectory(id, bad), "INVALID_ARGUMENT");
        await expectVMError(() => files.deleteDirectory(id, bad), "INVALID_ARGUMENT");
      }
      await expectVMError(() => files.writeFile(id, `${dir}/x`, 42 as unknown as string), "INVALID_ARGUMENT");
      assert.equal((await ctx.provider.instances.exec(id, ["ls", "-A", dir])).stdout, "", "rejected calls created nothing");
    },
  },
  {
    id: "files.missing-paths",
    title: "missing paths are NOT_FOUND (read, copy, move, delete, list, missing parent)",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      const missing = `${dir}/missing`;
      await expectVMError(() => files.readFile(id, missing), "NOT_FOUND");
      await expectVMError(() => files.readFileBytes(id, missing), "NOT_FOUND");
      await expectVMError(() => files.copyFile(id, missing, `${dir}/copy`), "NOT_FOUND");
      await expectVMError(() => files.moveFile(id, missing, `${dir}/moved`), "NOT_FOUND");
      await expectVMError(() => files.deleteFile(id, missing), "NOT_FOUND");
      await expectVMError(() => files.listDirectory(id, missing), "NOT_FOUND");
      await expectVMError(() => files.deleteDirectory(id, missing), "NOT_FOUND");
      await expectVMError(() => files.writeFile(id, `${missing}/child.txt`, "x"), "NOT_FOUND");
      await expectVMError(() => files.writeFileAtomic(id, `${missing}/child.txt`, "x"), "NOT_FOUND");
      await expectVMError(() => files.createDirectory(id, `${missing}/child`, false), "NOT_FOUND");
      assert.equal(await files.fileExists(id, missing), false);
      assert.equal(await files.isDirectory(id, missing), false);
      assert.equal((await ctx.provider.instances.exec(id, ["ls", "-A", dir])).stdout, "", "failed calls created nothing");
    },
  },
  {
    id: "files.directory-as-file",
    title: "a directory used where a file is expected is rejected with a VMError and left intact",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      const sub = `${dir}/sub`;
      await files.createDirectory(id, sub, false);
      await files.writeFile(id, `${sub}/keep.txt`, "keep");
      const codes = ["INVALID_ARGUMENT", "CONFLICT", "ALREADY_EXISTS"] as const;
      await expectVMError(() => files.readFile(id, sub), ...codes);
      await expectVMError(() => files.readFileBytes(id, sub), ...codes);
      await expectVMError(() => files.deleteFile(id, sub), "INVALID_ARGUMENT");
      await expectVMError(() => files.writeFile(id, sub, "x"), ...codes);
      await expectVMError(() => files.writeFileAtomic(id, sub, "x"), ...codes);
      await expectVMError(() => files.listDirectory(id, `${sub}/keep.txt`), ...codes);
      await expectVMError(() => files.createDirectory(id, `${sub}/keep.txt`, true), ...codes);
      assert.equal(await files.isDirectory(id, sub), true, "the directory is still there");
      assert.equal(await files.readFile(id, `${sub}/keep.txt`), "keep", "its content is untouched");
    },
  },
  {
    id: "files.exists-isdirectory",
    title: "fileExists is true for files and directories; isDirectory only for directories",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      await files.writeFile(id, `${dir}/file`, "x");
      assert.equal(await files.fileExists(id, `${dir}/file`), true);
      assert.equal(await files.fileExists(id, dir), true);
      assert.equal(await files.fileExists(id, `${dir}/nope`), false);
      assert.equal(await files.isDirectory(id, dir), true);
      assert.equal(await files.isDirectory(id, `${dir}/file`), false);
      assert.equal(await files.isDirectory(id, `${dir}/nope`), false);
    },
  },
  {
    id: "files.create-directory",
    title: "createDirectory: recursive makes parents and accepts existing; non-recursive does not",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      await files.createDirectory(id, `${dir}/a/b/c`, true);
      assert.equal(await files.isDirectory(id, `${dir}/a/b/c`), true);
      await files.createDirectory(id, `${dir}/a/b/c`, true);
      await files.createDirectory(id, `${dir}/flat`, false);
      assert.equal(await files.isDirectory(id, `${dir}/flat`), true);
      await files.createDirectory(id, `${dir}/default`);
      assert.equal(await files.isDirectory(id, `${dir}/default`), true);
      await expectVMError(() => files.createDirectory(id, `${dir}/x/y`, false), "NOT_FOUND");
      await expectVMError(() => files.createDirectory(id, `${dir}/flat`, false), "ALREADY_EXISTS");
    },
  },
  {
    id: "files.list-directory",
    title: "listDirectory returns name, absolute path, isDirectory and size; no . or ..",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      assert.deepEqual(await files.listDirectory(id, dir), [], "an empty directory lists nothing");
      await files.writeFile(id, `${dir}/three.txt`, "abc");
      await files.writeFile(id, `${dir}/.hidden`, "");
      await files.createDirectory(id, `${dir}/child`, false);
      const entries = [...(await files.listDirectory(id, dir))].sort((x, y) => x.name.localeCompare(y.name));
      assert.deepEqual(entries.map((e) => [e.name, e.path, e.isDirectory]), [
        [".hidden", `${dir}/.hidden`, false],
        ["child", `${dir}/child`, true],
        ["three.txt", `${dir}/three.txt`, false],
      ]);
      assert.equal(entries.find((e) => e.name === "three.txt")!.size, 3);
      for (const entry of entries) {
        if (entry.modified !== undefined) {
          assert.ok(entry.modified instanceof Date && !Number.isNaN(entry.modified.getTime()), "modified is a valid Date");
          assert.ok(Math.abs(entry.modified.getTime() - Date.now()) < 24 * 3600 * 1000, "modified is close to now");
        }
      }
    },
  },
  {
    id: "files.copy-move",
    title: "copyFile keeps the source and replaces the target; moveFile removes the source",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      const bytes = new Uint8Array(randomBytes(5000));
      await files.writeFile(id, `${dir}/src`, bytes);
      await files.writeFile(id, `${dir}/dst`, "old target content that is longer");
      await files.copyFile(id, `${dir}/src`, `${dir}/dst`);
      assert.deepEqual(Buffer.from(await files.readFileBytes(id, `${dir}/dst`)), Buffer.from(bytes));
      assert.equal(await files.fileExists(id, `${dir}/src`), true);
      await files.moveFile(id, `${dir}/src`, `${dir}/moved`);
      assert.equal(await files.fileExists(id, `${dir}/src`), false);
      assert.deepEqual(Buffer.from(await files.readFileBytes(id, `${dir}/moved`)), Buffer.from(bytes));
    },
  },
  {
    id: "files.delete",
    title: "deleteFile removes a file; deleteDirectory removes a whole tree",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      await files.writeFile(id, `${dir}/f`, "x");
      await files.deleteFile(id, `${dir}/f`);
      assert.equal(await files.fileExists(id, `${dir}/f`), false);
      await files.createDirectory(id, `${dir}/tree/a/b`, true);
      await files.writeFile(id, `${dir}/tree/a/b/leaf`, "leaf");
      await files.writeFile(id, `${dir}/tree/top`, "top");
      await files.deleteDirectory(id, `${dir}/tree`);
      assert.equal(await files.fileExists(id, `${dir}/tree`), false);
    },
  },
  {
    id: "files.atomic-options",
    title: "writeFileAtomic honours createDirs and mode (in effect on disk); bad mode is INVALID_ARGUMENT",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      const deep = `${dir}/new/deeper/config.json`;
      await files.writeFileAtomic(id, deep, '{"port":3000}', { createDirs: true, mode: "600" });
      assert.equal(await files.readFile(id, deep), '{"port":3000}');
      assert.equal(await statOf(ctx, id, deep, "%a"), "600");
      await files.writeFileAtomic(id, `${dir}/script.sh`, "#!/bin/sh\necho ran\n", { mode: "0755" });
      assert.equal(await statOf(ctx, id, `${dir}/script.sh`, "%a"), "755");
      assert.equal((await ctx.provider.instances.exec(id, [`${dir}/script.sh`])).stdout, "ran\n", "the mode is in effect: the script runs");
      await files.writeFileAtomic(id, `${dir}/script.sh`, "#!/bin/sh\necho replaced\n", { mode: "640" });
      assert.equal(await statOf(ctx, id, `${dir}/script.sh`, "%a"), "640", "replacing a file applies the new mode");
      await files.writeFileAtomic(id, `${dir}/plain`, "plain");
      assert.equal(await files.readFile(id, `${dir}/plain`), "plain");
      for (const mode of ["999", "rwx", "12", "07777", "600; rm -rf /"]) {
        await expectVMError(() => files.writeFileAtomic(id, `${dir}/bad-mode`, "x", { mode }), "INVALID_ARGUMENT");
      }
      assert.equal(await files.fileExists(id, `${dir}/bad-mode`), false, "a rejected write creates no file");
      await expectVMError(() => files.writeFileAtomic(id, `${dir}/missing/x`, "x", { createDirs: false }), "NOT_FOUND");
      assert.equal(await files.fileExists(id, `${dir}/missing`), false, "createDirs: false creates no directory");
    },
  },
  {
    id: "files.atomic-owner",
    title: "writeFileAtomic owner/group (name or id) are in effect on disk",
    level: "MUST",
    needs: ["fileOwnership"],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      await files.writeFileAtomic(id, `${dir}/owned`, "secret", { owner: "nobody", group: "nogroup", mode: "640" });
      assert.equal(await statOf(ctx, id, `${dir}/owned`, "%U:%G:%a"), "nobody:nogroup:640");
      await files.writeFileAtomic(id, `${dir}/by-id`, "x", { owner: "65534", group: "65534" });
      assert.equal(await statOf(ctx, id, `${dir}/by-id`, "%u:%g"), "65534:65534");
      await files.writeFileAtomic(id, `${dir}/owner-only`, "x", { owner: "nobody" });
      assert.equal(await statOf(ctx, id, `${dir}/owner-only`, "%U"), "nobody");
      const readable = await ctx.provider.instances.exec(id, ["cat", `${dir}/owned`], ctx.capabilities.execUser ? { user: "nobody" } : {});
      assert.equal(readable.stdout, "secret");
      await expectVMError(() => files.writeFileAtomic(id, `${dir}/bad-owner`, "x", { owner: "bad owner;id" }), "INVALID_ARGUMENT");
      await expectVMError(() => files.writeFileAtomic(id, `${dir}/bad-group`, "x", { group: "$(id)" }), "INVALID_ARGUMENT");
      assert.equal(await files.fileExists(id, `${dir}/bad-owner`), false);
    },
  },
  {
    id: "files.atomic-unknown-owner",
    title: "writeFileAtomic with an unknown user fails with a VMError and leaves no file",
    level: "SHOULD",
    needs: ["fileOwnership"],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      await expectVMError(
        () => ctx.provider.files.writeFileAtomic(id, `${dir}/f`, "x", { owner: "vmc-no-such-user" }),
        "NOT_FOUND",
        "INVALID_ARGUMENT",
      );
      assert.equal((await ctx.provider.instances.exec(id, ["ls", "-A", dir])).stdout, "", "no file and no temporary file is left");
    },
  },
  {
    id: "files.atomic-no-partial",
    title: "a failed writeFileAtomic leaves the old file and no temporary files",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      await ctx.provider.files.writeFile(id, `${dir}/keep`, "original");
      await expectVMError(() => ctx.provider.files.writeFileAtomic(id, `${dir}/keep`, "new", { mode: "9" }), "INVALID_ARGUMENT");
      await expectVMError(() => ctx.provider.files.writeFileAtomic(id, `${dir}/nodir/x`, "new"), "NOT_FOUND");
      assert.equal(await ctx.provider.files.readFile(id, `${dir}/keep`), "original");
      assert.equal((await ctx.provider.instances.exec(id, ["ls", "-A", dir])).stdout, "keep\n", "no temporary files are left");
    },
  },
  {
    id: "files.atomic-concurrent-reader",
    title: "a concurrent reader sees the old content or the new, never a mix or a missing file",
    level: "MUST",
    needs: [],
    timeoutMs: 180_000,
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const size = 512 * 1024;
      const contents = ["a", "b"].map((c) => c.repeat(size));
      const target = `${dir}/target`;
      await ctx.provider.files.writeFileAtomic(id, target, contents[0]!);
      await ctx.sh(id, 'head -c "$2" /dev/zero | tr "\\0" a > "$1/ref-a"; head -c "$2" /dev/zero | tr "\\0" b > "$1/ref-b"', [dir, String(size)]);
      const reader = ctx.sh(
        id,
        'd="$1"; n=0; bad=0; while [ ! -e "$d/stop" ]; do if cat "$d/target" > "$d/seen" 2>/dev/null; then cmp -s "$d/seen" "$d/ref-a" || cmp -s "$d/seen" "$d/ref-b" || { bad=$((bad+1)); cp "$d/seen" "$d/mixed-$bad"; }; else bad=$((bad+1)); echo missing >> "$d/missing"; fi; n=$((n+1)); done; echo "reads=$n bad=$bad"',
        [dir],
      );
      await ctx.sh(id, 'for i in $(seq 1 100); do [ -e "$1/seen" ] && exit 0; sleep 0.05; done', [dir]);
      for (let i = 1; i <= 12; i++) await ctx.provider.files.writeFileAtomic(id, target, contents[i % 2]!);
      await ctx.provider.files.writeFile(id, `${dir}/stop`, "");
      const result = await reader;
      const match = /reads=(\d+) bad=(\d+)/.exec(result.stdout);
      assert.ok(match, `reader reported: ${result.stdout} ${result.stderr}`);
      assert.ok(Number(match[1]) > 0, "the reader read the file at least once during the writes");
      assert.equal(Number(match[2]), 0, `the reader saw ${match[2]} torn or missing reads`);
      assert.equal(await ctx.provider.files.readFile(id, target), contents[0], "the last write wins");
    },
  },
  {
    id: "files.not-found-instance",
    title: "file methods on an unknown instance are NOT_FOUND",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = missingId("instance");
      const { files } = ctx.provider;
      await expectVMError(() => files.readFile(id, "/etc/hostname"), "NOT_FOUND");
      await expectVMError(() => files.writeFile(id, "/tmp/x", "x"), "NOT_FOUND");
      await expectVMError(() => files.writeFileAtomic(id, "/tmp/x", "x"), "NOT_FOUND");
      await expectVMError(() => files.fileExists(id, "/tmp"), "NOT_FOUND");
      await expectVMError(() => files.listDirectory(id, "/tmp"), "NOT_FOUND");
    },
  },
];
