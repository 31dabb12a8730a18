import { strict as assert } from "node:assert";
import type { ExecStreamChunk } from "@vm/core";
import { assertVMErrorCode } from "../assertions.js";
import type { ConformanceCase } from "../types.js";

/** An AsyncIterable the case feeds by hand: `push` a chunk, `end` it, or `fail` it. */
function feeder(): { input: AsyncIterable<string | Uint8Array>; push(chunk: string | Uint8Array): void; end(): void; fail(err: Error): void } {
  const queue: (string | Uint8Array | { error: Error } | null)[] = [];
  let wake = () => {};
  const input = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = queue.shift();
        if (next === undefined) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        if (next === null) return;
        if (typeof next === "object" && "error" in next) throw next.error;
        yield next;
      }
    },
  };
  const add = (item: (typeof queue)[number]) => {
    queue.push(item);
    wake();
  };
  return { input, push: (chunk) => add(chunk), end: () => add(null), fail: (error) => add({ error }) };
}

/** Reads chunks until stdout holds `want`; returns everything read so far (an exit chunk ends it too). */
async function until(it: AsyncIterator<ExecStreamChunk>, want: string, seen: { out: string; exit?: number }): Promise<void> {
  while (!seen.out.includes(want) && seen.exit === undefined) {
    const next: IteratorResult<ExecStreamChunk> = await it.next();
    if (next.done === true) break;
    const value = next.value;
    if (value.type === "stdout") seen.out += value.data;
    if (value.type === "exit") seen.exit = value.exit_code;
  }
  assert.ok(seen.out.includes(want), `stdout has ${JSON.stringify(want)} before the command ends (got ${JSON.stringify(seen.out.slice(-200))})`);
}

/** Reads the rest of the stream into `seen` (its exit code included). */
async function drain(it: AsyncIterator<ExecStreamChunk>, seen: { out: string; exit?: number }): Promise<void> {
  for (let r = await it.next(); r.done !== true; r = await it.next()) {
    if (r.value.type === "stdout") seen.out += r.value.data;
    if (r.value.type === "exit") seen.exit = r.value.exit_code;
  }
}

/**
 * Streamed stdin (`capabilities.stdinStream`): an AsyncIterable is fed as it yields, so a
 * command answers one input before the next is written.
 */
export const stdinStreamCases: readonly ConformanceCase[] = [
  {
    id: "exec.stdin-stream-interactive",
    title: "stdin as an AsyncIterable round-trips through cat and bash one line at a time; its end closes stdin",
    level: "MUST",
    needs: ["stdinStream", "execStream"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const cat = feeder();
      const catRun = ctx.provider.instances.execStream(id, ["cat"], { stdin: cat.input, timeoutMs: 60_000 })[Symbol.asyncIterator]();
      const catSeen: { out: string; exit?: number } = { out: "" };
      cat.push("hello\n");
      // The second line is written only after the first came back: nothing was buffered until the end.
      await until(catRun, "hello\n", catSeen);
      cat.push(new TextEncoder().encode("wörld\n"));
      await until(catRun, "wörld\n", catSeen);
      cat.end();
      await drain(catRun, catSeen);
      assert.equal(catSeen.exit, 0, "cat ends with 0 once stdin ends");
      assert.equal(catSeen.out, "hello\nwörld\n");

      const bash = feeder();
      const bashRun = ctx.provider.instances.execStream(id, ["bash"], { stdin: bash.input, timeoutMs: 60_000 })[Symbol.asyncIterator]();
      const bashSeen: { out: string; exit?: number } = { out: "" };
      bash.push("x=6; echo $((x * 7))\n");
      await until(bashRun, "42\n", bashSeen);
      bash.push("echo \"$x$x\"; exit 3\n");
      await until(bashRun, "66\n", bashSeen);
      await drain(bashRun, bashSeen);
      assert.equal(bashSeen.exit, 3, "bash keeps its state between lines and exits as told");
    },
  },
  {
    id: "exec.stdin-stream-exec-and-failure",
    title: "exec() takes an AsyncIterable stdin too; an iterable that throws ends the call with a VMError",
    level: "MUST",
    needs: ["stdinStream", "execStream"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      async function* parts() {
        // One chunk per turn of the event loop: the provider takes them as they come.
        for (let i = 0; i < 100; i++) yield await Promise.resolve(`line ${i}\n`);
      }
      const whole = await ctx.provider.instances.exec(id, ["wc", "-l"], { stdin: parts(), timeoutMs: 60_000 });
      assert.equal(whole.stdout.trim(), "100", "every chunk reached the command");
      const broken = feeder();
      const run = ctx.provider.instances.execStream(id, ["cat"], { stdin: broken.input, timeoutMs: 60_000 })[Symbol.asyncIterator]();
      const seen: { out: string; exit?: number } = { out: "" };
      broken.push("before\n");
      await until(run, "before\n", seen);
      broken.fail(new Error("the caller's input broke"));
      let failure: unknown;
      try {
        await drain(run, seen);
      } catch (err) {
        failure = err;
      }
      assert.ok(failure !== undefined, `the call rejects when stdin throws (it ended with exit ${seen.exit})`);
      assertVMErrorCode(failure, "INTERNAL", "INVALID_ARGUMENT", "ABORTED");
    },
  },
];
