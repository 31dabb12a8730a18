import { strict as assert } from "node:assert";
import type { ExecStreamChunk } from "@vm/core";
import { assertVMErrorCode, expectVMError } from "../assertions.js";
import type { CaseContext, ConformanceCase } from "../types.js";
import { commandStarted, processGone, SETTLE_MS, settlesWithin, TIMEOUT_MS } from "./util.js";

/** Strings that break naive quoting; each must reach the command byte for byte. */
export const HOSTILE_STRINGS: readonly string[] = [
  "hello world",
  "'single'",
  '"double"',
  "`id`",
  "$HOME",
  "${PATH}",
  "a;b",
  "a|b",
  "a&&b",
  "a > b",
  "new\nline",
  "tab\there",
  "\n",
  "-n",
  "--",
  "-e",
  "*",
  "~",
  "\\",
  "back\\slash\\n",
  "ünïcödé ✓ 🚀",
  "",
  "  leading and trailing  ",
  "%s%n%d",
  "!!",
  "#comment",
  "=",
];

// Exec only (no files call): these cases hold even where exec and files reach the VM differently.
async function pidGone(ctx: CaseContext, instanceId: string, pidFile: string): Promise<void> {
  const pid = (await ctx.sh(instanceId, 'cat -- "$1"', [pidFile])).stdout.trim();
  assert.match(pid, /^\d+$/, "the command wrote its pid");
  await processGone(ctx, instanceId, pid, `process ${pid} gone`);
}

export async function collect(stream: AsyncIterable<ExecStreamChunk>): Promise<ExecStreamChunk[]> {
  const chunks: ExecStreamChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/**
 * Command execution cases: argv fidelity, exit codes, stdin, cwd, env, user, timeout,
 * abort, streaming and large output.
 */
export const execCases: readonly ConformanceCase[] = [
  {
    id: "exec.argv-hostile",
    title: "argv elements reach the command exactly, with no shell interpretation",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      const args = [...HOSTILE_STRINGS, `$(touch ${dir}/pwned)`, `; touch ${dir}/pwned2`];
      const result = await ctx.provider.instances.exec(id, ["printf", "%s\\0", ...args]);
      assert.equal(result.exit_code, 0, result.stderr);
      const echoed = result.stdout.split("\0");
      assert.equal(echoed.pop(), "", "output ends with the last NUL");
      assert.deepEqual(echoed, args);
      assert.equal(await ctx.provider.files.fileExists(id, `${dir}/pwned`), false, "no command substitution happened");
      assert.equal(await ctx.provider.files.fileExists(id, `${dir}/pwned2`), false, "no command separator was honoured");
    },
  },
  {
    id: "exec.exit-code",
    title: "a non-zero exit is a result with that exit_code, not an error",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      assert.equal((await ctx.provider.instances.exec(id, ["true"])).exit_code, 0);
      assert.equal((await ctx.provider.instances.exec(id, ["false"])).exit_code, 1);
      for (const code of [2, 3, 42, 255]) {
        const result = await ctx.sh(id, 'echo "failing with $1" >&2; exit "$1"', [String(code)]);
        assert.equal(result.exit_code, code);
        assert.equal(result.stderr, `failing with ${code}\n`);
      }
    },
  },
  {
    id: "exec.stdout-stderr",
    title: "stdout and stderr are collected separately",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const result = await ctx.sh(id, "echo out1; echo err1 >&2; echo out2; echo err2 >&2");
      assert.deepEqual(result, { stdout: "out1\nout2\n", stderr: "err1\nerr2\n", exit_code: 0 });
    },
  },
  {
    id: "exec.utf8-output",
    title: "multi-byte UTF-8 output is decoded intact across chunk boundaries",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const result = await ctx.sh(id, 'yes "é✓🚀" | head -n 20000 | tr -d "\\n"');
      assert.equal(result.exit_code, 0);
      assert.equal(result.stdout.length, "é✓🚀".length * 20000);
      assert.equal(result.stdout, "é✓🚀".repeat(20000));
    },
  },
  {
    id: "exec.missing-command",
    title: "a missing executable is a non-zero result or a VMError, never a raw error",
    level: "SHOULD",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      try {
        const result = await ctx.provider.instances.exec(id, ["/nonexistent/vmc-command"]);
        assert.notEqual(result.exit_code, 0, "a missing executable cannot exit 0");
      } catch (err) {
        assertVMErrorCode(err, "NOT_FOUND", "INVALID_ARGUMENT");
      }
    },
  },
  {
    id: "exec.stdin",
    title: "stdin (text, binary and empty) is delivered and then closed",
    level: "MUST",
    needs: ["stdin"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const text = "line one\nline 'two' $(x)\nünïcödé\n";
      assert.deepEqual(await ctx.provider.instances.exec(id, ["cat"], { stdin: text }), { stdout: text, stderr: "", exit_code: 0 });
      const bytes = new Uint8Array(1024).map((_, i) => i % 256);
      const hex = await ctx.provider.instances.exec(id, ["od", "-An", "-v", "-tx1"], { stdin: bytes });
      const got = hex.stdout.split(/\s+/).filter(Boolean);
      assert.deepEqual(got, Array.from(bytes, (b) => b.toString(16).padStart(2, "0")), "binary stdin arrives byte for byte");
      assert.deepEqual(await ctx.provider.instances.exec(id, ["wc", "-c"], { stdin: "" }), { stdout: "0\n", stderr: "", exit_code: 0 });
    },
  },
  {
    id: "exec.cwd",
    title: "cwd sets the working directory, including one with spaces; a relative cwd is INVALID_ARGUMENT",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      const spaced = `${dir}/dir with 'spaces'`;
      await ctx.provider.files.createDirectory(id, spaced, true);
      assert.equal((await ctx.provider.instances.exec(id, ["pwd"], { cwd: dir })).stdout, `${dir}\n`);
      assert.equal((await ctx.provider.instances.exec(id, ["pwd"], { cwd: spaced })).stdout, `${spaced}\n`);
      await expectVMError(() => ctx.provider.instances.exec(id, ["pwd"], { cwd: "relative/dir" }), "INVALID_ARGUMENT");
    },
  },
  {
    id: "exec.env",
    title: "env reaches this command only, values byte for byte; bad names are INVALID_ARGUMENT",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const env = { VMC_PLAIN: "bar baz", VMC_HOSTILE: "$(id) `id` 'q' \"dq\"\nnext line", VMC_EMPTY: "" };
      const result = await ctx.sh(id, 'printf "%s\\0" "$VMC_PLAIN" "$VMC_HOSTILE" "${VMC_EMPTY-unset}"', [], { env });
      assert.deepEqual(result.stdout.split("\0").slice(0, 3), [env.VMC_PLAIN, env.VMC_HOSTILE, ""]);
      const later = await ctx.sh(id, 'printf "%s" "${VMC_PLAIN-unset}"');
      assert.equal(later.stdout, "unset", "env does not leak into later commands");
      await expectVMError(() => ctx.provider.instances.exec(id, ["true"], { env: { "BAD NAME": "x" } }), "INVALID_ARGUMENT");
      await expectVMError(() => ctx.provider.instances.exec(id, ["true"], { env: { "1X": "x" } }), "INVALID_ARGUMENT");
    },
  },
  {
    id: "exec.user",
    title: "user runs the command as that user (by name or uid)",
    level: "MUST",
    needs: ["execUser"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      assert.equal((await ctx.provider.instances.exec(id, ["id", "-un"], { user: "nobody" })).stdout, "nobody\n");
      assert.equal((await ctx.provider.instances.exec(id, ["id", "-u"], { user: "65534" })).stdout, "65534\n");
      assert.equal((await ctx.provider.instances.exec(id, ["id", "-un"], { user: "root" })).stdout, "root\n");
      await expectVMError(() => ctx.provider.instances.exec(id, ["true"], { user: "bad user;rm" }), "INVALID_ARGUMENT");
    },
  },
  {
    id: "exec.user-id-range",
    title: "a numeric user past 2147483647 is INVALID_ARGUMENT, never root by wrap-around (4294967295 is (uid_t)-1, 4294967296 wraps to 0)",
    level: "MUST",
    needs: ["execUser"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      for (const user of ["2147483648", "4294967295", "4294967296", "9999999999"]) {
        await expectVMError(() => ctx.provider.instances.exec(id, ["id", "-u"], { user }), "INVALID_ARGUMENT");
      }
      assert.equal((await ctx.provider.instances.exec(id, ["id", "-u"], { user: "2147483647" })).stdout, "2147483647\n", "the largest uid runs as itself");
    },
  },
  {
    id: "exec.timeout",
    title: "timeoutMs rejects with TIMEOUT and the process is gone afterwards",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      const call = ctx.sh(id, 'echo $$ > "$1/pid"; exec sleep 300', [dir], { timeoutMs: TIMEOUT_MS });
      await expectVMError(() => settlesWithin(`exec with timeoutMs ${TIMEOUT_MS}`, call, TIMEOUT_MS + SETTLE_MS), "TIMEOUT");
      await pidGone(ctx, id, `${dir}/pid`);
    },
  },
  {
    id: "exec.abort",
    title: "aborting the signal rejects with ABORTED and the process is gone afterwards",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      const controller = new AbortController();
      const running = ctx.sh(id, 'echo $$ > "$1/pid"; exec sleep 300', [dir], { signal: controller.signal });
      await commandStarted(ctx, id, `${dir}/pid`);
      controller.abort();
      await expectVMError(() => settlesWithin("exec after its signal aborted", running), "ABORTED");
      await pidGone(ctx, id, `${dir}/pid`);
    },
  },
  {
    id: "exec.abort-before-start",
    title: "an already-aborted signal rejects with ABORTED without running the command",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      await expectVMError(() => ctx.provider.instances.exec(id, ["touch", `${dir}/ran`], { signal: AbortSignal.abort() }), "ABORTED");
      assert.equal(await ctx.provider.files.fileExists(id, `${dir}/ran`), false, "the command did not run");
    },
  },
  {
    id: "exec.large-output",
    title: "4 MiB of stdout and 1 MiB of stderr arrive complete",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const result = await ctx.sh(id, "head -c 4194304 /dev/zero | tr '\\0' a; head -c 1048576 /dev/zero | tr '\\0' b >&2");
      assert.equal(result.exit_code, 0);
      assert.equal(result.stdout.length, 4 * 1024 * 1024);
      assert.equal(result.stderr.length, 1024 * 1024);
      assert.ok(/^a+$/.test(result.stdout) && /^b+$/.test(result.stderr), "output is not mixed up");
    },
  },
  {
    id: "exec.argv-invalid",
    title: "an empty argv, a non-string element or a NUL byte is INVALID_ARGUMENT",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const { instances } = ctx.provider;
      await expectVMError(() => instances.exec(id, []), "INVALID_ARGUMENT");
      await expectVMError(() => instances.exec(id, ["echo", "a\0b"]), "INVALID_ARGUMENT");
      await expectVMError(() => instances.exec(id, ["echo", 42 as unknown as string]), "INVALID_ARGUMENT");
      await expectVMError(() => instances.exec(id, "echo hi" as unknown as string[]), "INVALID_ARGUMENT");
      await expectVMError(() => instances.exec(id, ["true"], { timeoutMs: -1 }), "INVALID_ARGUMENT");
      if (ctx.capabilities.execStream) {
        await expectVMError(() => collect(instances.execStream(id, [])), "INVALID_ARGUMENT");
      }
    },
  },
  {
    id: "exec.stream-order",
    title: "execStream yields stdout/stderr in order, then exactly one exit chunk, last",
    level: "MUST",
    needs: ["execStream"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const chunks = await collect(
        ctx.provider.instances.execStream(id, ["bash", "-c", "for i in 1 2 3; do echo out$i; sleep 0.2; echo err$i >&2; sleep 0.2; done; exit 4"]),
      );
      const exits = chunks.filter((c) => c.type === "exit");
      assert.equal(exits.length, 1, "exactly one exit chunk");
      assert.deepEqual(chunks.at(-1), { type: "exit", exit_code: 4 }, "the exit chunk comes last");
      const text = (type: "stdout" | "stderr") =>
        chunks.map((c) => (c.type === type ? c.data : "")).join("");
      assert.equal(text("stdout"), "out1\nout2\nout3\n");
      assert.equal(text("stderr"), "err1\nerr2\nerr3\n");
      const firstIndex = (needle: string) => chunks.findIndex((c) => c.type !== "exit" && c.data.includes(needle));
      assert.ok(firstIndex("out1") < firstIndex("err1") && firstIndex("err1") < firstIndex("out2"), "chunks keep arrival order across streams");
    },
  },
  {
    id: "exec.stream-incremental",
    title: "execStream yields output while the command is still running",
    level: "MUST",
    needs: ["execStream"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      // The command only finishes after we react to its first line: a buffering provider deadlocks here.
      const stream = ctx.provider.instances.execStream(id, [
        "bash",
        "-c",
        'echo first; for i in $(seq 1 300); do [ -e "$1/go" ] && { echo second; exit 0; }; sleep 0.1; done; exit 9',
        "bash",
        dir,
      ]);
      const chunks: ExecStreamChunk[] = [];
      for await (const chunk of stream) {
        chunks.push(chunk);
        if (chunk.type === "stdout" && chunk.data.includes("first")) await ctx.provider.files.writeFile(id, `${dir}/go`, "");
      }
      assert.deepEqual(chunks.at(-1), { type: "exit", exit_code: 0 }, "the command saw our reaction to its first line");
    },
  },
  {
    id: "exec.stream-break-kills",
    title: "breaking out of execStream kills the command",
    level: "MUST",
    needs: ["execStream"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      for await (const chunk of ctx.provider.instances.execStream(id, ["bash", "-c", 'echo $$ > "$1/pid"; echo started; exec sleep 300', "bash", dir])) {
        if (chunk.type === "stdout") break;
      }
      await pidGone(ctx, id, `${dir}/pid`);
    },
  },
  {
    id: "exec.stream-large-output",
    title: "execStream delivers 4 MiB of output complete",
    level: "SHOULD",
    needs: ["execStream"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      let length = 0;
      let exit: number | undefined;
      for await (const chunk of ctx.provider.instances.execStream(id, ["bash", "-c", "head -c 4194304 /dev/zero | tr '\\0' a"])) {
        if (chunk.type === "stdout") length += chunk.data.length;
        else if (chunk.type === "exit") exit = chunk.exit_code;
      }
      assert.equal(length, 4 * 1024 * 1024);
      assert.equal(exit, 0);
    },
  },
  {
    id: "exec.stream-timeout",
    title: "execStream honours timeoutMs with TIMEOUT and kills the process",
    level: "MUST",
    needs: ["execStream"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      const stream = collect(ctx.provider.instances.execStream(id, ["bash", "-c", 'echo $$ > "$1/pid"; exec sleep 300', "bash", dir], { timeoutMs: TIMEOUT_MS }));
      await expectVMError(() => settlesWithin(`execStream with timeoutMs ${TIMEOUT_MS}`, stream, TIMEOUT_MS + SETTLE_MS), "TIMEOUT");
      await pidGone(ctx, id, `${dir}/pid`);
    },
  },
];
