import { spawn } from "node:child_process";
import { chown, readFile, readlink, readdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Scratch, allBytes, createScratch, sameBytes, tempFilesIn } from "../test-support/helpers.js";
import { createLocalExec } from "../test-support/local-exec.js";
import { createExecFileService } from "./exec-file-service.js";
import { atomicWriteArgv } from "./write-argv.js";

// A writer killed with SIGKILL cannot run its EXIT trap, so its temp file stays. The next
// atomic write to the same target removes it once the writer is provably dead; it never
// touches the temp file of a writer that is still running. Real bash processes on the host.

const ID = "local";
const NOBODY = 65534;
let scratch: Scratch;
let ns = "";

beforeAll(async () => {
  scratch = await createScratch("vm-orphan-");
  ns = (await readlink("/proc/self/ns/pid")).replace(/[^0-9]/g, "");
});
afterAll(async () => {
  await scratch.dispose();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** The pid of a process that has already exited (checked: no process has it now). */
async function deadPid(): Promise<number> {
  for (;;) {
    const child = spawn("true");
    const pid = child.pid;
    await new Promise((resolve) => child.on("close", resolve));
    if (pid !== undefined && !alive(pid)) return pid;
  }
}

/**
 * Starts a one-exec atomic write whose stdin stays open, so it is caught mid-write with its
 * temp file in place. Resolves once the temp file exists.
 */
async function startHeldWriter(dir: string, path: string, first: Uint8Array) {
  const before = new Set(await tempFilesIn(dir));
  const argv = atomicWriteArgv(path);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "ignore", "pipe"] });
  child.stdin.on("error", () => undefined);
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  let closed = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal }))).finally(
    () => (closed = true),
  );
  child.stdin.write(first);
  let temp: string | undefined;
  // Until the temp file appears or the writer is gone (no count bound: a loaded machine starts it late).
  while (temp === undefined && !closed) {
    temp = (await tempFilesIn(dir)).find((name) => !before.has(name));
    if (temp === undefined) await new Promise((r) => setTimeout(r, 10));
  }
  if (temp === undefined) throw new Error(`the writer never created its temp file: ${stderr}`);
  return { child, temp, exited, stderr: () => stderr };
}

describe("orphaned temp files of SIGKILLed writers", () => {
  it("names a one-exec writer's temp file after its pid namespace and pid", async () => {
    const dir = await scratch.fresh();
    const path = join(dir, "target");
    const writer = await startHeldWriter(dir, path, allBytes(1000));
    expect(writer.temp).toMatch(new RegExp(`^\\.target\\.vm-tmp\\.[0-9a-f]{16}-${ns}-${writer.child.pid}$`));
    writer.child.stdin.end();
    expect((await writer.exited).code).toBe(0);
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  for (const stdin of [true, false]) {
    it(`the next write to the target removes a SIGKILLed writer's temp file (stdin: ${stdin})`, async () => {
      const dir = await scratch.fresh();
      const path = join(dir, "target");
      await writeFile(path, "old");
      // Three writers caught mid-write at once (each one's own sweep keeps the others: alive),
      // then all SIGKILLed.
      const writers = [];
      for (let i = 0; i < 3; i++) writers.push(await startHeldWriter(dir, path, allBytes(64 * 1024, i)));
      for (const w of writers) {
        w.child.kill("SIGKILL");
        // Its `cat` still holds the pipe; closing stdin lets it finish into the orphan.
        w.child.stdin.end();
        expect((await w.exited).signal).toBe("SIGKILL");
      }
      expect((await tempFilesIn(dir)).sort()).toEqual(writers.map((w) => w.temp).sort());
      expect(await readFile(path, "utf8")).toBe("old");

      const files = createExecFileService({ provider: "local", exec: createLocalExec().exec, stdin, ...(stdin ? {} : { maxRequestBytes: 64 * 1024 }) });
      const content = allBytes(200 * 1024, 5); // stdin: false writes it in several execs (begin sweeps)
      await files.writeFileAtomic(ID, path, content);
      expect(sameBytes(await readFile(path), content)).toBe(true);
      expect(await tempFilesIn(dir)).toEqual([]);
    });
  }

  it("never removes a live writer's temp file: a write that finishes meanwhile leaves it, and the live writer then succeeds", async () => {
    const dir = await scratch.fresh();
    const path = join(dir, "target");
    const slow = allBytes(300 * 1024, 9);
    const writer = await startHeldWriter(dir, path, slow.subarray(0, 1000));
    const files = createExecFileService({ provider: "local", exec: createLocalExec().exec, stdin: true });
    await files.writeFileAtomic(ID, path, "quick");
    expect(await readFile(path, "utf8")).toBe("quick");
    expect(await tempFilesIn(dir)).toEqual([writer.temp]);
    writer.child.stdin.end(slow.subarray(1000));
    expect((await writer.exited).code, writer.stderr()).toBe(0);
    expect(sameBytes(await readFile(path), slow)).toBe(true);
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it("20 concurrent writers on one target all succeed (none loses its temp file to another's sweep)", async () => {
    const dir = await scratch.fresh();
    const path = join(dir, "target");
    const files = createExecFileService({ provider: "local", exec: createLocalExec().exec, stdin: true });
    const contents = Array.from({ length: 20 }, (_, i) => allBytes(128 * 1024 + i, i));
    const results = await Promise.allSettled(contents.map((c) => files.writeFileAtomic(ID, path, c)));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    const final = await readFile(path);
    expect(contents.filter((c) => sameBytes(final, c)).length).toBe(1);
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it("removes a multi-exec write's staged temp file untouched for over an hour (its client died between execs), keeps a recent one", async () => {
    const dir = await scratch.fresh();
    const path = join(dir, "target");
    const stale = ".target.vm-tmp.00000000000000a1";
    const recent = ".target.vm-tmp.00000000000000a2";
    for (const name of [stale, recent]) await writeFile(join(dir, name), "staged");
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000);
    await utimes(join(dir, stale), hoursAgo(2), hoursAgo(2));
    await utimes(join(dir, recent), hoursAgo(0.5), hoursAgo(0.5));
    const files = createExecFileService({ provider: "local", exec: createLocalExec().exec, stdin: true });
    await files.writeFileAtomic(ID, path, "new");
    expect(await readFile(path, "utf8")).toBe("new");
    expect((await readdir(dir)).sort()).toEqual([recent, "target"]);
  });

  it("keeps what it cannot prove orphaned: live pids, other pid namespaces, staged multi-exec files, other targets, pids it may not signal", async () => {
    const dir = await scratch.fresh();
    await chown(dir, NOBODY, NOBODY);
    const path = join(dir, "target");
    const dead = await deadPid();
    const names = {
      orphan: `.target.vm-tmp.00000000000000aa-${ns}-${dead}`,
      live: `.target.vm-tmp.00000000000000bb-${ns}-${process.pid}`,
      otherNamespace: `.target.vm-tmp.00000000000000cc-${Number(ns) + 1}-${dead}`,
      staged: ".target.vm-tmp.00000000000000dd",
      otherTarget: `.other.vm-tmp.00000000000000ee-${ns}-${dead}`,
      // pid 1 is alive but belongs to root: kill -0 as nobody is EPERM, not "No such process".
      notSignalable: `.target.vm-tmp.00000000000000ff-${ns}-1`,
      oddShape: `.target.vm-tmp.00000000000000aa-${ns}-${dead}-x`,
    };
    for (const name of Object.values(names)) await writeFile(join(dir, name), "temp");
    // As nobody (the directory's owner), so removing is allowed and EPERM is real.
    const files = createExecFileService({ provider: "local", exec: createLocalExec({ uid: NOBODY }).exec, stdin: true });
    await files.writeFileAtomic(ID, path, "new");
    expect(await readFile(path, "utf8")).toBe("new");
    const left = (await readdir(dir)).filter((n) => n !== "target").sort();
    const { orphan, ...kept } = names;
    expect(left).not.toContain(orphan);
    expect(left).toEqual(Object.values(kept).sort());
  });
});
