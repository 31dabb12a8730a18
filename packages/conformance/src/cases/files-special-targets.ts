import { strict as assert } from "node:assert";
import { expectVMError } from "../assertions.js";
import type { ConformanceCase } from "../types.js";

// Makes, in "$1": a FIFO, a character device (the null device's numbers, so even a write that
// reaches it changes nothing), a Unix socket, and a regular file "plain".
const MAKE_SPECIALS = [
  'cd -- "$1" || exit 1',
  "mkfifo fifo",
  "mknod dev c 1 3",
  'node -e "require(\\"net\\").createServer().listen(process.argv[1], () => process.exit(0))" "$1/sock"',
  "printf plain > plain",
].join(" && ");

// One line per entry: name and type (lstat), so a replaced special file shows.
const LIST = 'cd -- "$1" && for f in $(ls -A); do printf "%s %s\\n" "$f" "$(stat -c %F -- "$f")"; done';

/**
 * A FIFO, socket or device is refused (`INVALID_ARGUMENT`) as what a delete, move or write
 * would remove or replace, before any work: `deleteFile("/dev/null")` once removed the
 * instance's null device, after which every exec failed.
 */
export const specialTargetCases: readonly ConformanceCase[] = [
  {
    id: "files.special-file-not-replaced",
    title: "deleting, moving or overwriting a FIFO, socket or device (deleteFile, moveFile either side, copyFile/writeFile/writeFileAtomic onto it) is INVALID_ARGUMENT and changes nothing",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      const made = await ctx.sh(id, MAKE_SPECIALS, [dir]);
      assert.equal(made.exit_code, 0, `creating the special files: ${made.stderr}`);
      const before = (await ctx.sh(id, LIST, [dir])).stdout;
      assert.equal(before, "dev character special file\nfifo fifo\nplain regular file\nsock socket\n");
      const files = ctx.provider.files;
      const options = { timeoutMs: 60_000 };
      for (const name of ["fifo", "dev", "sock"]) {
        const path = `${dir}/${name}`;
        const calls: [string, () => Promise<unknown>][] = [
          ["deleteFile", () => files.deleteFile(id, path, options)],
          ["moveFile (source)", () => files.moveFile(id, path, `${dir}/moved`, options)],
          ["moveFile (destination)", () => files.moveFile(id, `${dir}/plain`, path, options)],
          ["copyFile (destination)", () => files.copyFile(id, `${dir}/plain`, path, options)],
          ["writeFile", () => files.writeFile(id, path, "x", options)],
          ["writeFileAtomic", () => files.writeFileAtomic(id, path, "x", options)],
        ];
        for (const [what, call] of calls) {
          await expectVMError(call, "INVALID_ARGUMENT").catch((err: unknown) => {
            throw new Error(`${what} ${name}: ${err instanceof Error ? err.message : String(err)}`);
          });
        }
      }
      assert.equal((await ctx.sh(id, LIST, [dir])).stdout, before, "every special file is still there, nothing was moved, copied or left behind");
      // The instance's own null device, the finding itself.
      await expectVMError(() => files.deleteFile(id, "/dev/null", options), "INVALID_ARGUMENT");
      const still = await ctx.sh(id, 'stat -c %F /dev/null && echo ok > /dev/null && echo alive');
      assert.equal(still.stdout, "character special file\nalive\n", "/dev/null is still the null device");
    },
  },
];
