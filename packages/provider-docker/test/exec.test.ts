import { createHash, randomUUID } from "node:crypto";
import type { BootedInstance, ExecStreamChunk } from "@vm/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseImage, createTestProvider, waitFor } from "./helpers.js";

const { provider, cleanup } = createTestProvider();
const small = createTestProvider({ maxOutputBytes: 1024 * 1024 });
const tiny = createTestProvider({ maxOutputBytes: 16 });
let vm: BootedInstance;

/** Processes in the VM whose command line mentions `marker` (excluding the probe itself). */
async function processesMatching(marker: string): Promise<string[]> {
  const { stdout } = await provider.instances.exec(vm.id, ["ps", "-eo", "pid=,args="]);
  return stdout.split("\n").filter((line) => line.includes(marker) && !line.includes("ps -eo"));
}

beforeAll(async () => {
  vm = await provider.instances.boot(baseImage(), { metadata: { suite: "exec" } });
});
afterAll(async () => {
  await cleanup();
  await small.cleanup();
  await tiny.cleanup();
});

/** Settles with what `work` settled with, or with "hung" when it did not settle within `ms` (a liveness bound). */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve("hung"), ms);
  });
  const outcome = work.then(
    (value) => `ok ${JSON.stringify(value)}`,
    (err: unknown) => `${(err as { code?: string }).code ?? String(err)}`,
  );
  try {
    return await Promise.race([outcome, hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe("exec", () => {
  it("runs argv without a shell and returns the exact exit code", async () => {
    expect(await provider.instances.exec(vm.id, ["echo", "$HOME", "a b"])).toEqual({ stdout: "$HOME a b\n", stderr: "", exit_code: 0 });
    const r = await provider.instances.exec(vm.id, ["sh", "-c", "echo out; echo err >&2; exit 213"]);
    expect(r).toEqual({ stdout: "out\n", stderr: "err\n", exit_code: 213 });
    // A builtin name runs the program, not the shell builtin (/bin/echo knows -e).
    expect((await provider.instances.exec(vm.id, ["echo", "-e", "a\\tb"])).stdout).toBe("a\tb\n");
    expect((await provider.instances.exec(vm.id, ["no-such-binary-xyz"])).exit_code).toBe(127);
  });

  it("applies cwd, env and user", async () => {
    const r = await provider.instances.exec(vm.id, ["sh", "-c", 'pwd; echo "$GREETING"; id -un'], {
      cwd: "/usr/local",
      env: { GREETING: "hi there" },
      user: "nobody",
    });
    expect(r.stdout).toBe("/usr/local\nhi there\nnobody\n");
  });

  it("keeps a UTF-8 character split across frames intact", async () => {
    // \303 and \251 are the two bytes of "é", written 200 ms apart: two separate frames.
    const argv = ["sh", "-c", "printf '\\303'; sleep 0.2; printf '\\251'; printf '\\342\\202' >&2; sleep 0.2; printf '\\254' >&2"];
    const r = await provider.instances.exec(vm.id, argv);
    expect(r.stdout).toBe("é");
    expect(r.stderr).toBe("€");
    const chunks: ExecStreamChunk[] = [];
    for await (const chunk of provider.instances.execStream(vm.id, argv)) chunks.push(chunk);
    const text = (type: string) => chunks.flatMap((c) => (c.type === type && "data" in c ? [c.data] : [])).join("");
    expect(text("stdout")).toBe("é");
    expect(text("stderr")).toBe("€");
    expect(chunks.at(-1)).toEqual({ type: "exit", exit_code: 0 });
  });

  it("feeds stdin (text and binary) and closes it", async () => {
    expect((await provider.instances.exec(vm.id, ["cat"], { stdin: "line 1\nline 2 ✓\n" })).stdout).toBe("line 1\nline 2 ✓\n");
    const bytes = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) % 256);
    const r = await provider.instances.exec(vm.id, ["sha256sum"], { stdin: bytes });
    expect(r.stdout.split(" ")[0]).toBe(createHash("sha256").update(bytes).digest("hex"));
    // Without stdin the command sees EOF/none instead of hanging.
    expect((await provider.instances.exec(vm.id, ["sh", "-c", "cat; echo done"], { timeoutMs: 10_000 })).stdout).toBe("done\n");
  });

  it("kills the command in the VM on timeout", async () => {
    // The sleeps would run for 17 minutes: only the timeout can end the call (the test's own
    // timeout bounds it), so no stopwatch is needed to tell.
    await expect(provider.instances.exec(vm.id, ["sh", "-c", "sleep 1001 & sleep 1002"], { timeoutMs: 500 })).rejects.toMatchObject({
      name: "VMError",
      code: "TIMEOUT",
    });
    expect(await processesMatching("sleep 100")).toEqual([]);
  });

  it("kills the command in the VM on abort", async () => {
    const controller = new AbortController();
    const pending = provider.instances.exec(vm.id, ["sh", "-c", "sleep 2001 & sleep 2002"], { signal: controller.signal });
    // Abort once the command runs (seen in the VM), however long the engine takes to start it.
    expect((await waitFor(async () => ((await processesMatching("sleep 200")).length > 0 ? true : undefined), 120_000))).toBe(true);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: "ABORTED" });
    expect(await processesMatching("sleep 200")).toEqual([]);
    const aborted = AbortSignal.abort();
    await expect(provider.instances.exec(vm.id, ["true"], { signal: aborted })).rejects.toMatchObject({ code: "ABORTED" });
  });

  it("returns a 50 MiB output", async () => {
    const r = await provider.instances.exec(vm.id, ["sh", "-c", "head -c 52428800 /dev/zero | tr '\\0' 'x'"]);
    expect(r.exit_code).toBe(0);
    expect(r.stdout.length).toBe(50 * 1024 * 1024);
    expect(r.stdout.slice(-3)).toBe("xxx");
  });

  it("fails with INVALID_ARGUMENT past maxOutputBytes and kills the command", async () => {
    const vm2 = vm.id;
    await expect(small.provider.instances.exec(vm2, ["sh", "-c", "yes overflow-3003; sleep 3003"])).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining("execStream") as unknown,
    });
    expect(await processesMatching("overflow-3003")).toEqual([]);
  });

  // Regression: cancel() paused the socket and then waited for the kill exec. The engine could
  // not deliver the paused exec's pending output, so it never finished that exec's exit, and
  // it handles a container's exec exits one at a time: the kill exec never ended, exec() hung,
  // and so did every later exec in the instance. Cancelling right after the command ended
  // also waited 2 s for a pid file that was already gone.
  it("a tiny maxOutputBytes never hangs: overflow fails, the exact size works, later execs run", async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 6; round++) {
      for (const argv of [["sh", "-c", "yes overflow-5005"], ["echo", "seventeen bytes!"], ["head", "-c", "17", "/dev/zero"], ["head", "-c", "16", "/dev/zero"]]) {
        outcomes.push(`${argv.join(" ")}: ${await settledWithin(tiny.provider.instances.exec(vm.id, argv).then((r) => r.stdout.length), 60_000)}`);
      }
    }
    expect(outcomes).toEqual(
      Array.from({ length: 6 }, () => [
        "sh -c yes overflow-5005: INVALID_ARGUMENT",
        "echo seventeen bytes!: INVALID_ARGUMENT",
        "head -c 17 /dev/zero: INVALID_ARGUMENT",
        "head -c 16 /dev/zero: ok 16",
      ]).flat(),
    );
    expect(await processesMatching("overflow-5005")).toEqual([]);
  });

  it("kills a command whose timeout fires before the engine started it", async () => {
    // 1 ms: the timer fires while the engine is still starting the wrapper.
    for (let round = 0; round < 3; round++) {
      expect(await settledWithin(provider.instances.exec(vm.id, ["sh", "-c", "sleep 6006"], { timeoutMs: 1 }), 60_000)).toBe("TIMEOUT");
    }
    expect(await processesMatching("sleep 6006")).toEqual([]);
  });

  it("streams chunks as they arrive, then one exit chunk", async () => {
    // The command waits for a gate file before each next line, and the test opens gate N only
    // after it received chunk N: so "one" arrived before the command finished by construction,
    // not by a stopwatch (a stalled client could see every chunk at once).
    const gates = `/tmp/stream-gates-${randomUUID()}`;
    const script = 'mkdir -p "$1"; gate() { while [ ! -e "$1/$2" ]; do sleep 0.05; done; }; echo one; gate "$1" 1; echo two >&2; gate "$1" 2; echo three; exit 4';
    const seen: { chunk: ExecStreamChunk }[] = [];
    for await (const chunk of provider.instances.execStream(vm.id, ["sh", "-c", script, "sh", gates])) {
      seen.push({ chunk });
      if (chunk.type !== "exit" && seen.length < 3) await provider.instances.exec(vm.id, ["touch", `${gates}/${seen.length}`]);
    }
    await provider.instances.exec(vm.id, ["rm", "-rf", gates]);
    expect(seen.map((s) => s.chunk)).toEqual([
      { type: "stdout", data: "one\n" },
      { type: "stderr", data: "two\n" },
      { type: "stdout", data: "three\n" },
      { type: "exit", exit_code: 4 },
    ]);
  });

  it("kills the command when the caller breaks out of execStream", async () => {
    for await (const chunk of provider.instances.execStream(vm.id, ["sh", "-c", "echo ready; sleep 4004 & sleep 4005"])) {
      if (chunk.type === "stdout") break;
    }
    expect(await processesMatching("sleep 400")).toEqual([]);
  });

  it("streams a large output without a cap", async () => {
    let bytes = 0;
    let exit: number | undefined;
    for await (const chunk of small.provider.instances.execStream(vm.id, ["sh", "-c", "head -c 8388608 /dev/zero | tr '\\0' 'y'"])) {
      if (chunk.type === "exit") exit = chunk.exit_code;
      else bytes += chunk.data.length;
    }
    expect({ bytes, exit }).toEqual({ bytes: 8 * 1024 * 1024, exit: 0 });
  });

  it("rejects bad input with INVALID_ARGUMENT before running anything", async () => {
    const bad: [string[], object][] = [
      [[], {}],
      [["a\0b"], {}],
      [["ls"], { cwd: "relative" }],
      [["ls"], { env: { "BAD-NAME": "x" } }],
      [["ls"], { user: "a b" }],
      [["ls"], { timeoutMs: -1 }],
      [["ls"], { stdin: 42 }],
    ];
    for (const [argv, options] of bad) {
      await expect(provider.instances.exec(vm.id, argv, options)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    }
    expect(() => provider.instances.execStream(vm.id, [], {})).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }) as Error);
  });

  it("reports a missing cwd or user and an unknown instance as NOT_FOUND", async () => {
    await expect(provider.instances.exec(vm.id, ["pwd"], { cwd: "/does/not/exist" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(provider.instances.exec(vm.id, ["id"], { user: "no-such-user" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(provider.instances.exec("0000000000000000dead", ["true"])).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
