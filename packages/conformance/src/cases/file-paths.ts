import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { expectVMError } from "../assertions.js";
import type { CaseContext, ConformanceCase } from "../types.js";
import { sharedScratch as setup } from "./util.js";

// Larger than any fast path's small-file cut-off (Docker sends small files through exec and
// large ones through the engine's archive API): each path rule is checked on both routes.
const LARGE = 2 * 1024 * 1024 + 3;

/** Runs a fixed bash script in the VM with user values as "$1"...; fails the case on a non-zero exit. */
async function sh(ctx: CaseContext, id: string, script: string, ...args: string[]): Promise<string> {
  const result = await ctx.provider.instances.exec(id, ["bash", "-c", script, "vmc", ...args]);
  assert.equal(result.exit_code, 0, `${script}: ${result.stderr}`);
  return result.stdout;
}

/** What the VM's own tools say about a path: `link`, `file`, `dir`, `missing` or `other`. */
async function kindOf(ctx: CaseContext, id: string, path: string): Promise<string> {
  const out = await sh(
    ctx,
    id,
    'if [ -L "$1" ]; then echo link; elif [ -f "$1" ]; then echo file; elif [ -d "$1" ]; then echo dir; elif [ -e "$1" ]; then echo other; else echo missing; fi',
    path,
  );
  return out.trim();
}

async function catInVM(ctx: CaseContext, id: string, path: string): Promise<Buffer> {
  const out = await sh(ctx, id, 'base64 -w0 -- "$1"', path);
  return Buffer.from(out.trim(), "base64");
}

/**
 * Path resolution and symbolic links, as documented on `VMFileService`: paths resolve as a
 * process in the VM resolves them; mutations never follow a link in the last component;
 * trailing slashes; names that are not UTF-8.
 */
export const filePathCases: readonly ConformanceCase[] = [
  {
    id: "files.delete-directory-symlink",
    title: "deleteDirectory refuses a symlink (with or without a trailing slash) and leaves its target's files",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      await sh(ctx, id, 'mkdir -- "$1/target" && echo keep >"$1/target/keep" && ln -s target "$1/link" && ln -s "$1/target/keep" "$1/filelink"', dir);
      for (const path of [`${dir}/link`, `${dir}/link/`, `${dir}/link//`, `${dir}/filelink`, `${dir}/filelink/`]) {
        await expectVMError(() => files.deleteDirectory(id, path), "INVALID_ARGUMENT");
      }
      assert.equal((await catInVM(ctx, id, `${dir}/target/keep`)).toString(), "keep\n", "the target's files are untouched");
      assert.equal(await kindOf(ctx, id, `${dir}/link`), "link", "the link is still there");
      assert.equal(await files.isDirectory(id, `${dir}/link/`), true, "isDirectory follows the link");
      await files.deleteDirectory(id, `${dir}/target/`);
      assert.equal(await kindOf(ctx, id, `${dir}/target`), "missing", "a real directory named with a trailing slash is deleted");
    },
  },
  {
    id: "files.mutations-replace-symlink",
    title: "writeFile, writeFileAtomic, copyFile and moveFile onto a symlink replace the link, never its target (a file or a directory)",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      await sh(ctx, id, 'mkdir -- "$1/tdir" && echo keep >"$1/tdir/keep" && echo target >"$1/tfile" && chmod 600 "$1/tfile"', dir);
      const big = new Uint8Array(randomBytes(LARGE));
      const ops: [string, (path: string, n: number) => Promise<unknown>, Uint8Array | string][] = [
        ["writeFile", (path) => files.writeFile(id, path, "new"), "new"],
        ["writeFile large", (path) => files.writeFile(id, path, big), big],
        ["writeFileAtomic", (path) => files.writeFileAtomic(id, path, "new"), "new"],
        ["copyFile", (path) => files.copyFile(id, `${dir}/src`, path), "source"],
        [
          "moveFile",
          async (path, n) => {
            await files.writeFile(id, `${dir}/msrc${n}`, "moved");
            await files.moveFile(id, `${dir}/msrc${n}`, path);
          },
          "moved",
        ],
      ];
      await files.writeFile(id, `${dir}/src`, "source");
      let n = 0;
      for (const [name, op, expected] of ops) {
        for (const target of ["tfile", "tdir"]) {
          const link = `${dir}/link${++n}`;
          await sh(ctx, id, 'ln -s -- "$2" "$1"', link, `${dir}/${target}`);
          await op(link, n);
          assert.equal(await kindOf(ctx, id, link), "file", `${name} onto a link to a ${target.slice(1)}: the link became a regular file`);
          assert.deepEqual(await catInVM(ctx, id, link), Buffer.from(expected), `${name} onto a link to a ${target.slice(1)}: the new content is at the path`);
          assert.equal((await catInVM(ctx, id, `${dir}/tfile`)).toString(), "target\n", `${name}: the linked file is untouched`);
          assert.equal((await sh(ctx, id, 'stat -c %a -- "$1"', `${dir}/tfile`)).trim(), "600", `${name}: the linked file keeps its mode`);
          assert.equal((await sh(ctx, id, 'ls -A -- "$1"', `${dir}/tdir`)).trim(), "keep", `${name}: the linked directory is untouched`);
        }
      }
    },
  },
  {
    id: "files.symlink-last-component",
    title: "reads follow a symlink in the last component; fileExists, deleteFile, moveFile's source and createDirectory act on the link",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      await sh(
        ctx,
        id,
        'mkdir -- "$1/tdir" && echo keep >"$1/tdir/keep" && echo target >"$1/tfile" && ln -s tfile "$1/lfile" && ln -s tdir "$1/ldir" && ln -s nowhere "$1/dangling"',
        dir,
      );
      assert.equal(await files.readFile(id, `${dir}/lfile`), "target\n");
      assert.deepEqual(Buffer.from(await files.readFileBytes(id, `${dir}/lfile`)), Buffer.from("target\n"));
      await files.copyFile(id, `${dir}/lfile`, `${dir}/copied`);
      assert.equal(await kindOf(ctx, id, `${dir}/copied`), "file", "copyFile's source is followed: the copy is a regular file");
      assert.deepEqual((await files.listDirectory(id, `${dir}/ldir`)).map((e) => [e.name, e.path]), [["keep", `${dir}/ldir/keep`]]);
      assert.equal(await files.isDirectory(id, `${dir}/ldir`), true);
      assert.equal(await files.isDirectory(id, `${dir}/lfile`), false);
      assert.equal(await files.fileExists(id, `${dir}/dangling`), true, "a dangling link exists (lstat)");
      assert.equal(await files.isDirectory(id, `${dir}/dangling`), false);
      await expectVMError(() => files.createDirectory(id, `${dir}/ldir`, false), "ALREADY_EXISTS");
      await files.createDirectory(id, `${dir}/ldir`, true);
      await expectVMError(() => files.createDirectory(id, `${dir}/lfile`, true), "ALREADY_EXISTS");
      await expectVMError(() => files.createDirectory(id, `${dir}/dangling`, true), "ALREADY_EXISTS");
      assert.equal(await kindOf(ctx, id, `${dir}/ldir`), "link", "createDirectory left the link alone");
      await files.moveFile(id, `${dir}/lfile`, `${dir}/moved-link`);
      assert.equal(await kindOf(ctx, id, `${dir}/moved-link`), "link", "moveFile moves the link itself");
      assert.equal(await kindOf(ctx, id, `${dir}/lfile`), "missing");
      await files.deleteFile(id, `${dir}/ldir`);
      await files.deleteFile(id, `${dir}/dangling`);
      assert.equal(await kindOf(ctx, id, `${dir}/ldir`), "missing", "deleteFile removes the link");
      assert.equal(await kindOf(ctx, id, `${dir}/tdir/keep`), "file", "and not its target");
      assert.equal((await catInVM(ctx, id, `${dir}/tfile`)).toString(), "target\n");
    },
  },
  {
    id: "files.dotdot-after-symlink",
    title: "`..` after a symlinked parent means what it means in the VM, for read, write, atomic write and exists",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      // link -> deep/a/b, so in the VM link/.. is deep/a, while lexical cleaning would say dir.
      await sh(ctx, id, 'mkdir -p -- "$1/deep/a/b" && ln -s "$1/deep/a/b" "$1/link" && echo deep >"$1/deep/a/x" && echo shallow >"$1/x" && echo shallow >"$1/only-shallow"', dir);
      const via = (name: string) => `${dir}/link/../${name}`;
      const big = new Uint8Array(randomBytes(LARGE));
      assert.equal(await files.readFile(id, via("x")), (await catInVM(ctx, id, via("x"))).toString());
      assert.equal(await files.readFile(id, via("x")), "deep\n");
      await files.writeFile(id, via("w"), "written");
      await files.writeFile(id, via("w-large"), big);
      await files.writeFileAtomic(id, via("a"), "atomic");
      for (const [name, content] of [["w", Buffer.from("written")], ["w-large", Buffer.from(big)], ["a", Buffer.from("atomic")]] as const) {
        assert.deepEqual(await catInVM(ctx, id, `${dir}/deep/a/${name}`), content, `${name} went where the VM resolves the path`);
        assert.equal(await kindOf(ctx, id, `${dir}/${name}`), "missing", `${name} did not go to the lexically cleaned path`);
      }
      assert.deepEqual(Buffer.from(await files.readFileBytes(id, via("w-large"))), Buffer.from(big), "a large read resolves the same way");
      for (const name of ["x", "w", "only-shallow", "nothing"]) {
        const inVM = (await sh(ctx, id, 'if [ -e "$1" ]; then echo true; else echo false; fi', via(name))).trim() === "true";
        assert.equal(await files.fileExists(id, via(name)), inVM, `fileExists(${via(name)}) agrees with test -e`);
      }
      await expectVMError(() => files.readFile(id, via("only-shallow")), "NOT_FOUND");
    },
  },
  {
    id: "files.trailing-slash",
    title: "a trailing slash is INVALID_ARGUMENT on file operations and ignored on directory operations",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      await files.writeFile(id, `${dir}/f`, "x");
      const bad = `${dir}/f/`;
      await expectVMError(() => files.readFile(id, bad), "INVALID_ARGUMENT");
      await expectVMError(() => files.readFileBytes(id, bad), "INVALID_ARGUMENT");
      await expectVMError(() => files.writeFile(id, `${dir}/new/`, "x"), "INVALID_ARGUMENT");
      await expectVMError(() => files.writeFileAtomic(id, `${dir}/new/`, "x", { createDirs: true }), "INVALID_ARGUMENT");
      await expectVMError(() => files.copyFile(id, bad, `${dir}/c`), "INVALID_ARGUMENT");
      await expectVMError(() => files.copyFile(id, `${dir}/f`, `${dir}/new/`), "INVALID_ARGUMENT");
      await expectVMError(() => files.moveFile(id, bad, `${dir}/m`), "INVALID_ARGUMENT");
      await expectVMError(() => files.moveFile(id, `${dir}/f`, `${dir}/new/`), "INVALID_ARGUMENT");
      await expectVMError(() => files.deleteFile(id, bad), "INVALID_ARGUMENT");
      assert.equal((await sh(ctx, id, 'ls -A -- "$1"', dir)).trim(), "f", "refused calls created and removed nothing");
      await files.createDirectory(id, `${dir}/d/`, false);
      await files.createDirectory(id, `${dir}/d//`, true);
      await files.writeFile(id, `${dir}/d/e`, "e");
      assert.equal(await files.isDirectory(id, `${dir}/d//`), true);
      assert.equal(await files.fileExists(id, `${dir}/d/`), true);
      assert.deepEqual((await files.listDirectory(id, `${dir}/d/`)).map((e) => e.path), [`${dir}/d/e`]);
      await files.deleteDirectory(id, `${dir}/d/`);
      assert.equal(await kindOf(ctx, id, `${dir}/d`), "missing");
      assert.equal(await files.isDirectory(id, "/"), true, "/ stays /");
      assert.equal(await files.fileExists(id, "/"), true);
    },
  },
  {
    id: "files.symlinked-parent-into-dev-shm",
    title: "a parent that is a symlink into /dev/shm reaches the tmpfs the VM's processes see",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      const tag = `vmc-${randomBytes(6).toString("hex")}`;
      await sh(ctx, id, 'ln -s /dev/shm "$1/shm" && printf "from exec" >"/dev/shm/$2-exec"', dir, tag);
      try {
        const big = new Uint8Array(randomBytes(LARGE));
        await files.writeFile(id, `${dir}/shm/${tag}-small`, "small");
        await files.writeFile(id, `${dir}/shm/${tag}-large`, big);
        await files.writeFileAtomic(id, `${dir}/shm/${tag}-atomic`, "atomic");
        assert.equal((await catInVM(ctx, id, `/dev/shm/${tag}-small`)).toString(), "small");
        assert.deepEqual(await catInVM(ctx, id, `/dev/shm/${tag}-large`), Buffer.from(big));
        assert.equal((await catInVM(ctx, id, `/dev/shm/${tag}-atomic`)).toString(), "atomic");
        assert.equal(await files.readFile(id, `${dir}/shm/${tag}-exec`), "from exec");
        assert.deepEqual(Buffer.from(await files.readFileBytes(id, `${dir}/shm/${tag}-large`)), Buffer.from(big));
        assert.equal(await files.fileExists(id, `${dir}/shm/${tag}-exec`), true);
      } finally {
        await sh(ctx, id, 'rm -f -- "/dev/shm/$1"-*', tag);
      }
    },
  },
  {
    id: "files.list-non-utf8-names",
    title: "listDirectory refuses a directory holding names that are not UTF-8 with INVALID_ARGUMENT naming them",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const { id, dir } = await setup(ctx);
      const { files } = ctx.provider;
      await sh(ctx, id, 'cd -- "$1" && printf x >"$(printf "bad\\377")" && printf y >"$(printf "bad\\376")" && printf z >ok', dir);
      const err = await expectVMError(() => files.listDirectory(id, dir), "INVALID_ARGUMENT");
      assert.match(err.message, /2 names/, "the message says how many names");
      assert.match(err.message, /bad\\x(fe|ff)/, "the message shows the first name with its bytes escaped");
      assert.equal((await sh(ctx, id, 'ls -A -- "$1" | wc -l', dir)).trim(), "3", "nothing was changed");
    },
  },
];
