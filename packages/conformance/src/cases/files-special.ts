import { strict as assert } from "node:assert";
import type { ExecResult, FileOperationOptions, VMFileService } from "@vm/core";
import { expectVMError } from "../assertions.js";
import type { CaseContext, ConformanceCase } from "../types.js";

// A writer that blocks opening the FIFO until some reader opens it: "$3" appears only then, so
// its absence proves that nothing opened the FIFO. "$2" says it started.
const BLOCKED_WRITER = ': > "$2"; exec 4>"$1"; : > "$3"; echo x >&4';
// Waits (for an event, polled in the instance) until the file "$1" exists.
const WAIT_FOR = 'i=0; while [ ! -e "$1" ]; do i=$((i+1)); [ "$i" -lt 1200 ] || exit 1; sleep 0.05; done';

/**
 * Starts a writer blocked on each FIFO. `release()` opens each FIFO for reading (the positive
 * control: the writer goes on) and returns once every writer is done.
 */
async function blockedWriters(ctx: CaseContext, id: string, fifos: readonly string[]) {
  const writers: { fifo: string; opened: string; done: Promise<ExecResult> }[] = [];
  for (const fifo of fifos) {
    const made = await ctx.sh(id, 'mkfifo -- "$1"', [fifo]);
    assert.equal(made.exit_code, 0, `mkfifo ${fifo}: ${made.stderr}`);
    const started = `${fifo}.started`;
    const opened = `${fifo}.opened`;
    // Bounded by its own timeout: if a provider did open the FIFO, the writer ends by itself.
    const done = ctx.provider.instances.exec(id, ["sh", "-c", BLOCKED_WRITER, "writer", fifo, started, opened], { timeoutMs: 600_000 });
    done.catch(() => undefined);
    writers.push({ fifo, opened, done });
    assert.equal((await ctx.sh(id, WAIT_FOR, [started])).exit_code, 0, "the writer started");
  }
  return {
    async assertNeverOpened() {
      for (const w of writers) {
        const seen = await ctx.sh(id, '[ -e "$1" ] && echo opened || echo blocked', [w.opened]);
        assert.equal(seen.stdout.trim(), "blocked", `the writer of ${w.fifo} is still blocked: nothing opened the FIFO`);
      }
    },
    async release() {
      for (const w of writers) {
        assert.equal((await ctx.sh(id, 'cat -- "$1"', [w.fifo])).stdout, "x\n", "the positive control reads the writer's line");
        assert.equal((await w.done).exit_code, 0);
      }
    },
  };
}

async function expectRefusedAsSource(files: VMFileService, id: string, path: string, copyTo: string): Promise<void> {
  // A generous bound: an implementation that opens the FIFO fails with TIMEOUT, not a hung case.
  const options: FileOperationOptions = { timeoutMs: 60_000 };
  for (const [what, call] of [
    ["readFile", () => files.readFile(id, path, options)],
    ["readFileBytes", () => files.readFileBytes(id, path, options)],
    ["copyFile", () => files.copyFile(id, path, copyTo, options)],
  ] as const) {
    await expectVMError(call, "INVALID_ARGUMENT").catch((err: unknown) => {
      throw new Error(`${what} ${path}: ${err instanceof Error ? err.message : String(err)}`);
    });
  }
}

/** Every file method on paths under `dir`, with `options` as its last argument. */
function everyMethod(files: VMFileService, id: string, dir: string, options: FileOperationOptions): [string, () => Promise<unknown>][] {
  return [
    ["readFile", () => files.readFile(id, `${dir}/a`, options)],
    ["readFileBytes", () => files.readFileBytes(id, `${dir}/a`, options)],
    ["writeFile", () => files.writeFile(id, `${dir}/new`, "x".repeat(1024 * 1024), options)],
    ["writeFileAtomic", () => files.writeFileAtomic(id, `${dir}/new-atomic`, "x".repeat(1024 * 1024), { ...options, mode: "600" })],
    ["copyFile", () => files.copyFile(id, `${dir}/a`, `${dir}/copy`, options)],
    ["moveFile", () => files.moveFile(id, `${dir}/a`, `${dir}/moved`, options)],
    ["deleteFile", () => files.deleteFile(id, `${dir}/a`, options)],
    ["fileExists", () => files.fileExists(id, `${dir}/a`, options)],
    ["createDirectory", () => files.createDirectory(id, `${dir}/sub`, { ...options, recursive: true })],
    ["listDirectory", () => files.listDirectory(id, dir, options)],
    ["isDirectory", () => files.isDirectory(id, dir, options)],
    ["deleteDirectory", () => files.deleteDirectory(id, `${dir}/d`, options)],
  ];
}

async function expectUntouched(ctx: CaseContext, id: string, dir: string): Promise<void> {
  const left = await ctx.sh(id, 'cd -- "$1" && ls -A && cat a', [dir]);
  assert.equal(left.stdout, "a\nd\noriginal", "nothing was written, moved, copied, created or deleted, and no temp file is left");
}

/**
 * Special files (FIFOs, sockets, devices) are refused before they are opened, and every file
 * method honours `signal` and `timeoutMs`.
 */
export const specialFileCases: readonly ConformanceCase[] = [
  {
    id: "files.fifo-refused",
    title: "a FIFO as the source of readFile/readFileBytes/copyFile is INVALID_ARGUMENT and is never opened (direct, symlink, symlinked parent, /dev/shm)",
    level: "MUST",
    needs: [],
    timeoutMs: 300_000,
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      const shm = `/dev/shm/${ctx.unique("fifo")}`;
      const setup = await ctx.sh(id, 'mkdir -p -- "$1/real" "$2" && ln -s -- "$1/real/fifo" "$1/link" && ln -s -- "$1/real" "$1/parent" && ln -s -- "$2" "$1/shm"', [dir, shm]);
      assert.equal(setup.exit_code, 0, setup.stderr);
      const writers = await blockedWriters(ctx, id, [`${dir}/real/fifo`, `${shm}/fifo`]);
      try {
        for (const path of [`${dir}/real/fifo`, `${dir}/link`, `${dir}/parent/fifo`, `${shm}/fifo`, `${dir}/shm/fifo`]) {
          await expectRefusedAsSource(ctx.provider.files, id, path, `${dir}/copy`);
        }
        // Written in place (both providers write /dev/shm in place): the FIFO would be opened.
        await expectVMError(() => ctx.provider.files.writeFile(id, `${shm}/fifo`, "y", { timeoutMs: 60_000 }), "INVALID_ARGUMENT");
        await writers.assertNeverOpened();
        const left = await ctx.sh(id, 'ls -A -- "$1"', [dir]);
        assert.equal(left.stdout, "link\nparent\nreal\nshm\n", "no copy and no temp file is left");
        await writers.release();
      } finally {
        await ctx.sh(id, 'rm -rf -- "$1"', [shm]);
      }
    },
  },
  {
    id: "files.device-socket-refused",
    title: "a character device or a Unix socket is refused like a FIFO; /proc files still read",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      // A socket file stays after its listener exits (nothing unlinks it).
      const made = await ctx.sh(id, 'node -e "require(\\"net\\").createServer().listen(process.argv[1], () => process.exit(0))" "$1/sock"', [dir]);
      assert.equal(made.exit_code, 0, `creating a Unix socket: ${made.stderr}`);
      for (const path of ["/dev/null", "/dev/zero", `${dir}/sock`]) {
        await expectRefusedAsSource(ctx.provider.files, id, path, `${dir}/copy`);
      }
      await expectVMError(() => ctx.provider.files.writeFile(id, "/dev/null", "y", { timeoutMs: 60_000 }), "INVALID_ARGUMENT");
      assert.match(await ctx.provider.files.readFile(id, "/proc/version"), /^Linux version /);
      // "self" names whichever process of the provider opens it: its status still reads.
      assert.match(await ctx.provider.files.readFile(id, "/proc/self/status"), /^Name:\t/);
      assert.equal((await ctx.sh(id, 'ls -A -- "$1"', [dir])).stdout, "sock\n", "no copy and no temp file is left");
    },
  },
  {
    id: "files.options-validated",
    title: "every file method refuses bad options (INVALID_ARGUMENT) and an aborted signal (ABORTED) before doing anything",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      await ctx.sh(id, 'cd -- "$1" && printf original > a && mkdir d', [dir]);
      const bad: unknown[] = [{ timeoutMs: 0 }, { timeoutMs: "5" }, { timeoutMs: 1.5 }, { signal: {} }];
      for (const options of bad) {
        for (const [name, call] of everyMethod(ctx.provider.files, id, dir, options as FileOperationOptions)) {
          await expectVMError(call, "INVALID_ARGUMENT").catch((err: unknown) => {
            throw new Error(`${name} ${JSON.stringify(options)}: ${err instanceof Error ? err.message : String(err)}`);
          });
        }
      }
      const signal = AbortSignal.abort(new Error("the caller gave up"));
      for (const [name, call] of everyMethod(ctx.provider.files, id, dir, { signal })) {
        await expectVMError(call, "ABORTED").catch((err: unknown) => {
          throw new Error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
        });
      }
      await expectUntouched(ctx, id, dir);
    },
  },
  {
    id: "files.options-timeout",
    title: "every file method honours timeoutMs (TIMEOUT) and leaves nothing behind",
    level: "MUST",
    needs: [],
    timeoutMs: 300_000,
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      await ctx.sh(id, 'cd -- "$1" && printf original > a && mkdir d', [dir]);
      // 1 ms: no call that goes to the instance (an exec, an engine request) can finish that fast.
      for (const [name, call] of everyMethod(ctx.provider.files, id, dir, { timeoutMs: 1 })) {
        const err = await expectVMError(call, "TIMEOUT").catch((e: unknown) => {
          throw new Error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
        });
        assert.doesNotMatch(err.message, /x{16}/, "the error does not carry content");
      }
      // A step may have finished in the instance before the kill reached it (a move, a delete):
      // that is not a leftover. A partial file or a temp file is.
      const left = await ctx.sh(id, 'cd -- "$1" && for f in $(ls -A); do printf "%s %s\n" "$f" "$(stat -c %s -- "$f")"; done', [dir]);
      for (const line of left.stdout.trim().split("\n")) {
        const [name = "", size = ""] = line.split(" ");
        assert.ok(!name.includes(".vm-tmp."), `a temp file is left: ${line}`);
        if (name === "new" || name === "new-atomic") assert.equal(size, String(1024 * 1024), `${name} is whole or absent, never partial`);
      }
      // The calls still work with time to finish.
      await ctx.provider.files.writeFile(id, `${dir}/b`, "fine", { timeoutMs: 60_000, signal: new AbortController().signal });
      assert.equal(await ctx.provider.files.readFile(id, `${dir}/b`, { timeoutMs: 60_000, signal: new AbortController().signal }), "fine");
    },
  },
];
