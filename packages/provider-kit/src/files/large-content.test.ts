import { spawnSync } from "node:child_process";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ExecFunction } from "@vm/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VMError } from "../errors.js";
import { type Scratch, allBytes, codeOf, createScratch, sameBytes, tempFilesIn } from "../test-support/helpers.js";
import { createLocalExec } from "../test-support/local-exec.js";
import { createExecFileService } from "./exec-file-service.js";
import { DEFAULT_MAX_ARG_BYTES, DEFAULT_MAX_REQUEST_BYTES } from "./limits.js";

const ID = "local";
const KiB = 1024;
const MiB = 1024 * KiB;
let scratch: Scratch;

beforeAll(async () => {
  scratch = await createScratch("vm-large-");
});
afterAll(async () => {
  await scratch.dispose();
});

describe("the kernel limits this package works around are real here", () => {
  it("one argument of 128 KiB is refused (E2BIG); the default argument size is not", () => {
    const tooBig = spawnSync("bash", ["-c", "true", "x".repeat(128 * KiB)]);
    expect(tooBig.error).toMatchObject({ code: "E2BIG" });
    const fits = spawnSync("bash", ["-c", "true", "x".repeat(DEFAULT_MAX_ARG_BYTES - 1)]);
    expect(fits.status).toBe(0);
  });
});

for (const stdin of [true, false]) {
  describe(`sizes and exec counts (stdin: ${stdin})`, () => {
    it("0 B, 1 B, 96 KiB + 1 and 1 MiB: exact bytes in exactly one exec per write", async () => {
      const local = createLocalExec();
      const files = createExecFileService({ provider: "local", exec: local.exec, stdin });
      const dir = await scratch.fresh();
      for (const size of [0, 1, 96 * KiB + 1, MiB]) {
        const data = allBytes(size, size);
        for (const method of ["writeFile", "writeFileAtomic"] as const) {
          const path = join(dir, `${method}-${size}`);
          const before = local.calls.length;
          await files[method](ID, path, data);
          expect(local.calls.length - before, `${method} ${size} B`).toBe(1);
          expect(sameBytes(await readFile(path), data), `${method} ${size} B`).toBe(true);
          expect(sameBytes(await files.readFileBytes(ID, path), data)).toBe(true);
        }
      }
      expect(await tempFilesIn(dir)).toEqual([]);
    });
  });
}

describe("8 MiB", () => {
  it("stdin: true sends it as stdin in ONE exec", async () => {
    const local = createLocalExec();
    const files = createExecFileService({ provider: "local", exec: local.exec, stdin: true });
    const dir = await scratch.fresh();
    const data = allBytes(8 * MiB, 3);
    await files.writeFileAtomic(ID, join(dir, "big"), data);
    expect(local.calls.length).toBe(1);
    expect(local.calls[0]!.stdinBytes).toBe(8 * MiB);
    // The argv is the script alone (its size check pushed it just past 8 KiB); 8 MiB go on stdin.
    expect(local.calls[0]!.argvBytes).toBeLessThan(16 * KiB);
    expect(sameBytes(await readFile(join(dir, "big")), data)).toBe(true);
  });

  it("stdin: false splits it into argv chunks: 8 execs, every argv under the limits", async () => {
    const local = createLocalExec();
    const files = createExecFileService({ provider: "local", exec: local.exec, stdin: false });
    const dir = await scratch.fresh();
    const data = allBytes(8 * MiB, 5);
    for (const method of ["writeFileAtomic", "writeFile"] as const) {
      const path = join(dir, method);
      const before = local.calls.length;
      await files[method](ID, path, data);
      const calls = local.calls.slice(before);
      // 8 MiB is 11,184,812 base64 characters; one exec carries about 1.5 MiB of them.
      expect(calls.length, method).toBe(8);
      for (const call of calls) {
        expect(call.argvBytes).toBeLessThanOrEqual(DEFAULT_MAX_REQUEST_BYTES);
        expect(call.stdinBytes).toBe(0);
        for (const arg of call.argv) expect(Buffer.byteLength(arg) + 1).toBeLessThanOrEqual(DEFAULT_MAX_ARG_BYTES);
      }
      expect(calls.map((c) => c.argv[5])).toEqual(["begin", "append", "append", "append", "append", "append", "append", "commit"]);
      expect(sameBytes(await readFile(path), data), method).toBe(true);
    }
    expect(await tempFilesIn(dir)).toEqual([]);

    // Reads come back in 3 MiB chunks: 3 execs.
    const before = local.calls.length;
    expect(sameBytes(await files.readFileBytes(ID, join(dir, "writeFile")), data)).toBe(true);
    expect(local.calls.length - before).toBe(3);
  });
});

describe("small limits force many execs and still give exact bytes", () => {
  it("maxArgBytes 1000, maxRequestBytes 16 KiB, maxReadBytes 10,000", async () => {
    const local = createLocalExec();
    const files = createExecFileService({ provider: "local", exec: local.exec, stdin: false, maxArgBytes: 1000, maxRequestBytes: 16 * KiB, maxReadBytes: 10_000 });
    const dir = await scratch.fresh();
    const data = allBytes(64 * KiB + 7, 9);
    await files.writeFileAtomic(ID, join(dir, "f"), data, { mode: "600" });
    const writes = local.calls.length;
    expect(writes).toBeGreaterThan(5);
    for (const call of local.calls) {
      expect(call.argvBytes).toBeLessThanOrEqual(16 * KiB);
      for (const arg of call.argv.slice(13)) expect(Buffer.byteLength(arg) + 1).toBeLessThanOrEqual(1000);
    }
    expect(sameBytes(await readFile(join(dir, "f")), data)).toBe(true);
    expect(sameBytes(await files.readFileBytes(ID, join(dir, "f")), data)).toBe(true);
    expect(local.calls.length - writes).toBe(Math.ceil(data.length / 10_000));

    // A file of exactly n chunks needs no extra exec to find its end.
    await writeFile(join(dir, "exact"), allBytes(30_000));
    const before = local.calls.length;
    expect((await files.readFileBytes(ID, join(dir, "exact"))).length).toBe(30_000);
    expect(local.calls.length - before).toBe(3);
  });

  it("limits outside what Linux allows are refused up front", () => {
    const exec = createLocalExec().exec;
    for (const bad of [{ maxArgBytes: 128 * KiB + 1 }, { maxArgBytes: 0 }, { maxRequestBytes: 3 * MiB }, { maxRequestBytes: 100 }, { maxReadBytes: 1.5 }]) {
      expect(() => createExecFileService({ provider: "p", exec, stdin: false, ...bad })).toThrow(VMError);
    }
    expect(() => createExecFileService({ provider: "p", exec: "bash" as never, stdin: false })).toThrow(/exec must be a function/);
    expect(() => createExecFileService({ provider: "p", exec, stdin: "yes" as never })).toThrow(/stdin must be a boolean/);
  });
});

describe("a failure in the middle of a multi-exec write", () => {
  // Fails the nth call (1-based) with a transport error, as a dropped connection would.
  function failingExec(failAt: number): { exec: ExecFunction; count: () => number } {
    const local = createLocalExec();
    let n = 0;
    const exec: ExecFunction = async (id, argv, options) => {
      n++;
      if (n === failAt) throw new VMError("UNAVAILABLE", "connection reset", { provider: "local", operation: "instances.exec" });
      return local.exec(id, argv, options);
    };
    return { exec, count: () => n };
  }

  for (const method of ["writeFileAtomic", "writeFile"] as const) {
    it(`${method}: keeps the old file and removes the temp file`, async () => {
      const dir = await scratch.fresh();
      const path = join(dir, "f");
      await writeFile(path, "old content");
      const data = allBytes(200 * KiB);
      for (const failAt of [2, 3]) {
        const failing = failingExec(failAt);
        const files = createExecFileService({ provider: "local", exec: failing.exec, stdin: false, maxRequestBytes: 64 * KiB });
        expect(await codeOf(files[method](ID, path, data))).toBe("UNAVAILABLE");
        expect(await readFile(path, "utf8")).toBe("old content");
        expect(await tempFilesIn(dir)).toEqual([]);
      }
    });
  }

  it("writeFileAtomic: an owner that fails at the final exec leaves the old file and no temp file", async () => {
    const local = createLocalExec();
    const files = createExecFileService({ provider: "local", exec: local.exec, stdin: false, maxRequestBytes: 64 * KiB });
    const dir = await scratch.fresh();
    const path = join(dir, "f");
    await writeFile(path, "old content");
    expect(await codeOf(files.writeFileAtomic(ID, path, allBytes(300 * KiB), { owner: "no_such_user_vm" }))).toBe("INVALID_ARGUMENT");
    expect(local.calls.length).toBeGreaterThan(2);
    expect(await readFile(path, "utf8")).toBe("old content");
    expect(await tempFilesIn(dir)).toEqual([]);
  });
});

describe("chunked reads stay consistent", () => {
  it("a file replaced between chunks is read again from the start", async () => {
    const dir = await scratch.fresh();
    const path = join(dir, "f");
    const first = allBytes(5000, 1);
    const second = allBytes(7000, 2);
    await writeFile(path, first);
    const local = createLocalExec();
    let replaced = false;
    const exec: ExecFunction = async (id, argv, options) => {
      const result = await local.exec(id, argv, options);
      if (!replaced) {
        replaced = true;
        await writeFile(join(dir, "next"), second);
        await rename(join(dir, "next"), path);
      }
      return result;
    };
    const files = createExecFileService({ provider: "local", exec, stdin: true, maxReadBytes: 1000 });
    expect(sameBytes(await files.readFileBytes(ID, path), second)).toBe(true);
  });

  it("a file that keeps changing is CONFLICT, not a mix", async () => {
    const dir = await scratch.fresh();
    const path = join(dir, "f");
    await writeFile(path, allBytes(5000));
    const local = createLocalExec();
    let n = 0;
    const exec: ExecFunction = async (id, argv, options) => {
      const result = await local.exec(id, argv, options);
      await writeFile(join(dir, "next"), allBytes(5000, ++n));
      await rename(join(dir, "next"), path);
      return result;
    };
    const files = createExecFileService({ provider: "local", exec, stdin: true, maxReadBytes: 1000 });
    expect(await codeOf(files.readFileBytes(ID, path))).toBe("CONFLICT");
  });

  // FIFOs, sockets and devices are refused before they are opened: special-files.test.ts.
  it("special files: /proc files are read whole, an endless device is refused", async () => {
    const files = createExecFileService({ provider: "local", exec: createLocalExec().exec, stdin: true, maxReadBytes: 64 * KiB });
    expect(await files.readFile(ID, "/proc/version")).toMatch(/^Linux version /);
    expect(await codeOf(files.readFileBytes(ID, "/dev/zero"))).toBe("INVALID_ARGUMENT");
  });
});
