import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { type Server, createServer } from "node:net";
import { join } from "node:path";
import type { VMFileService } from "@vm/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Scratch, codeOf, createScratch } from "../test-support/helpers.js";
import { createLocalExec } from "../test-support/local-exec.js";
import { DEFAULT_FILE_TIMEOUT_MS } from "./bounds.js";
import { createExecFileService } from "./exec-file-service.js";

const ID = "local";
let scratch: Scratch;

beforeAll(async () => {
  scratch = await createScratch("vm-special-");
});
afterAll(async () => {
  await scratch.dispose();
});

/** Resolves once `path` exists (an event in another process: polled, never a fixed wait). */
async function appears(path: string): Promise<void> {
  while (!existsSync(path)) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * A writer blocked opening `fifo` for writing: `opened` appears only once some reader opened
 * the FIFO. So "`opened` is still missing" proves nobody opened it.
 */
async function blockedWriter(dir: string, fifo: string): Promise<{ opened: string; child: ChildProcess }> {
  const started = join(dir, "writer-started");
  const opened = join(dir, "writer-opened");
  expect((await new Promise<number | null>((resolve) => spawn("mkfifo", [fifo]).on("close", resolve)))).toBe(0);
  const child = spawn("bash", ["-c", ': > "$2"; exec 4>"$1"; : > "$3"; echo x >&4', "writer", fifo, started, opened], { stdio: "ignore" });
  await appears(started);
  return { opened, child };
}

/** Opens the FIFO for reading (the positive control): the writer goes on and `opened` appears. */
async function release(fifo: string, writer: { opened: string; child: ChildProcess }): Promise<void> {
  expect(await readFile(fifo, "utf8")).toBe("x\n");
  await appears(writer.opened);
}

function listen(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(path, () => resolve(server));
  });
}

for (const stdin of [true, false]) {
  describe(`special files are refused before they are opened (stdin: ${stdin})`, () => {
    const files: VMFileService = createExecFileService({ provider: "local", exec: createLocalExec().exec, stdin });

    it("a FIFO as the source of readFile, readFileBytes and copyFile: directly, through a symlink and a symlinked parent", async () => {
      const dir = await scratch.fresh();
      await mkdir(join(dir, "real"));
      const fifo = join(dir, "real", "fifo");
      const writer = await blockedWriter(dir, fifo);
      await symlink(fifo, join(dir, "link"));
      await symlink(join(dir, "real"), join(dir, "parent"));
      for (const path of [fifo, join(dir, "link"), join(dir, "parent", "fifo")]) {
        expect(await codeOf(files.readFile(ID, path))).toBe("INVALID_ARGUMENT");
        expect(await codeOf(files.readFileBytes(ID, path))).toBe("INVALID_ARGUMENT");
        expect(await codeOf(files.copyFile(ID, path, join(dir, "copy")))).toBe("INVALID_ARGUMENT");
        // An in-place write would open it too; an atomic one would rename over it (not tried: it keeps the FIFO for the next path).
        // A symbolic link in the last component is never written through: that write replaces the link (below).
        if (path !== join(dir, "link")) expect(await codeOf(files.writeFile(ID, path, "y"))).toBe("INVALID_ARGUMENT");
      }
      // A write onto the link to the FIFO replaces the link with a regular file; the FIFO is not opened.
      await files.writeFile(ID, join(dir, "link"), "y");
      expect((await lstat(join(dir, "link"))).isFile()).toBe(true);
      expect((await lstat(fifo)).isFIFO()).toBe(true);
      const err = (await files.readFile(ID, fifo).catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(/not a regular file.*\(fifo\)/);
      expect(existsSync(writer.opened)).toBe(false);
      expect((await readdir(dir)).sort()).toEqual(["link", "parent", "real", "writer-started"]);
      await release(fifo, writer);
    });

    it("character devices and a Unix socket likewise; /proc and /sys files still read", async () => {
      const dir = await scratch.fresh();
      const socket = join(dir, "sock");
      const server = await listen(socket);
      try {
        for (const path of ["/dev/null", "/dev/zero", socket]) {
          expect(await codeOf(files.readFile(ID, path))).toBe("INVALID_ARGUMENT");
          expect(await codeOf(files.readFileBytes(ID, path))).toBe("INVALID_ARGUMENT");
          expect(await codeOf(files.copyFile(ID, path, join(dir, "copy")))).toBe("INVALID_ARGUMENT");
          expect(await codeOf(files.writeFile(ID, path, "y"))).toBe("INVALID_ARGUMENT");
        }
      } finally {
        server.close();
      }
      expect(existsSync(join(dir, "copy"))).toBe(false);
      expect(await files.readFile(ID, "/proc/version")).toMatch(/^Linux version /);
      expect(await files.readFile(ID, "/proc/self/status")).toMatch(/^Name:/);
      await files.copyFile(ID, "/proc/version", join(dir, "version"));
      expect(await readFile(join(dir, "version"), "utf8")).toMatch(/^Linux version /);
      if (existsSync("/sys/class/net/lo/mtu")) expect(Number(await files.readFile(ID, "/sys/class/net/lo/mtu"))).toBeGreaterThan(0);
    });
  });
}

describe("file call options: { signal, timeoutMs }", () => {
  const cases = (files: VMFileService, dir: string, options: never) => [
    files.readFile(ID, `${dir}/a`, options),
    files.readFileBytes(ID, `${dir}/a`, options),
    files.writeFile(ID, `${dir}/b`, "x", options),
    files.writeFileAtomic(ID, `${dir}/b`, "x", options),
    files.copyFile(ID, `${dir}/a`, `${dir}/c`, options),
    files.moveFile(ID, `${dir}/a`, `${dir}/c`, options),
    files.deleteFile(ID, `${dir}/a`, options),
    files.fileExists(ID, `${dir}/a`, options),
    files.createDirectory(ID, `${dir}/d`, options),
    files.listDirectory(ID, dir, options),
    files.isDirectory(ID, dir, options),
    files.deleteDirectory(ID, `${dir}/d`, options),
  ];

  it("bad options are INVALID_ARGUMENT and an aborted signal ABORTED, for every method, before any exec", async () => {
    const dir = await scratch.fresh();
    await writeFile(join(dir, "a"), "a");
    const local = createLocalExec();
    const files = createExecFileService({ provider: "local", exec: local.exec, stdin: true });
    const bad: unknown[] = [null, "5", 7, [], { timeoutMs: 0 }, { timeoutMs: 1.5 }, { timeoutMs: "5" }, { timeoutMs: 2 ** 31 }, { signal: {} }, { signal: "x" }];
    for (const options of bad) {
      const codes = await Promise.all(cases(files, dir, options as never).map((p) => codeOf(p)));
      // createDirectory's third argument may also be a boolean; 7 and "5" are neither.
      expect(codes, JSON.stringify(options)).toEqual(codes.map(() => "INVALID_ARGUMENT"));
    }
    const aborted = AbortSignal.abort(new Error("caller gave up"));
    const codes = await Promise.all(cases(files, dir, { signal: aborted } as never).map((p) => codeOf(p)));
    expect(codes).toEqual(codes.map(() => "ABORTED"));
    expect(local.calls).toEqual([]);
    expect(await readdir(dir)).toEqual(["a"]);
  });

  it("every exec gets the caller's signal and the time left; without timeoutMs, a signal for the default deadline", async () => {
    const dir = await scratch.fresh();
    const local = createLocalExec();
    const files = createExecFileService({ provider: "local", exec: local.exec, stdin: true });
    const controller = new AbortController();
    const run = async (options: never) => {
      await writeFile(join(dir, "a"), "a");
      await Promise.allSettled(cases(files, dir, options));
    };
    await run({ signal: controller.signal, timeoutMs: 60_000 } as never);
    expect(local.calls.length).toBeGreaterThanOrEqual(12);
    for (const call of local.calls) {
      expect(call.timeoutMs).toBeGreaterThan(0);
      expect(call.timeoutMs).toBeLessThanOrEqual(60_000);
      expect(call.signal?.aborted).toBe(false);
    }
    // Each exec's signal follows the caller's (it also fires at the call's deadline).
    controller.abort();
    for (const call of local.calls) expect(call.signal?.aborted).toBe(true);
    local.calls.length = 0;
    await run(undefined as never);
    // Without a timeoutMs the exec keeps the provider's own default bound; the call's default
    // deadline (DEFAULT_FILE_TIMEOUT_MS) is its signal, which fires then.
    for (const call of local.calls) {
      expect(call.timeoutMs).toBeUndefined();
      expect(call.signal?.aborted).toBe(false);
    }
    expect(DEFAULT_FILE_TIMEOUT_MS).toBe(30 * 60 * 1000);
    await files.createDirectory(ID, join(dir, "x", "y"), { recursive: true });
    await files.createDirectory(ID, join(dir, "x", "y"), true);
    expect(await codeOf(files.createDirectory(ID, join(dir, "x", "y"), { recursive: false }))).toBe("ALREADY_EXISTS");
  });

  for (const [name, stop] of [
    ["timeoutMs", () => ({ timeoutMs: 300 })],
    ["an abort", () => ({ signal: AbortSignal.timeout(300) })],
  ] as const) {
    it(`a write that cannot finish is stopped by ${name}: killed, and no partial or temp file is left`, async () => {
      const dir = await scratch.fresh();
      // The command gets 1000 bytes of the content and then waits for the rest for ever.
      const files = createExecFileService({ provider: "local", exec: createLocalExec({ holdStdinAfter: 1000 }).exec, stdin: true });
      const content = new Uint8Array(64 * 1024).fill(97);
      const expected = name === "timeoutMs" ? "TIMEOUT" : "ABORTED";
      expect(await codeOf(files.writeFile(ID, join(dir, "new"), content, stop()))).toBe(expected);
      expect(await codeOf(files.writeFileAtomic(ID, join(dir, "atomic"), content, { mode: "600", ...stop() }))).toBe(expected);
      await writeFile(join(dir, "old"), "old content");
      expect(await codeOf(files.writeFileAtomic(ID, join(dir, "old"), content, stop()))).toBe(expected);
      expect(await readdir(dir)).toEqual(["old"]);
      expect(await readFile(join(dir, "old"), "utf8")).toBe("old content");
    });
  }
});
