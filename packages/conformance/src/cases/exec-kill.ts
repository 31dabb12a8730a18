import { strict as assert } from "node:assert";
import type { ExecOptions } from "@vm/core";
import { eventually, expectVMError } from "../assertions.js";
import type { CaseContext, ConformanceCase } from "../types.js";
import { commandStarted, processGone, SETTLE_MS, settlesWithin, TIMEOUT_MS } from "./util.js";

// Kill cases: after TIMEOUT or ABORTED nothing the command started runs on, a kill reaches the
// command's own processes and nothing else, and background children follow one rule.

/** A `sleep` whose command line no other process has, so `pgrep -fx` finds only ours. */
function uniqueSleep(): string {
  return `sleep 600.${String(Math.floor(Math.random() * 1e9)).padStart(9, "0")}`;
}

async function running(ctx: CaseContext, id: string, cmdline: string): Promise<boolean> {
  return (await ctx.sh(id, 'pgrep -fx -- "$1" >/dev/null', [cmdline])).exit_code === 0;
}

/** Waits (an event, not a fixed sleep) until no process has exactly `cmdline`. */
async function noneLeft(ctx: CaseContext, id: string, cmdline: string): Promise<void> {
  await eventually(`no "${cmdline}" process left`, async () => ((await running(ctx, id, cmdline)) ? undefined : true), { timeoutMs: SETTLE_MS });
}

/** Background children the command leaves: one in its session, one that called setsid. */
const BACKGROUND_VARIANTS: readonly { name: string; script: string }[] = [
  { name: "background child", script: '$2 & echo started > "$1/started"; echo done' },
  { name: "setsid child", script: 'setsid $2 & echo started > "$1/started"; echo done' },
];

// A call that missed the early abort waits for its 600 s sleep: `settlesWithin` fails the case
// after SETTLE_MS instead of hanging the suite.

/** Moments to abort at, right after the call: synchronously, on the next microtask, after setImmediate. */
const EARLY_ABORTS: readonly { name: string; wait: () => Promise<void> | undefined }[] = [
  { name: "0 ms", wait: () => undefined },
  { name: "next microtask", wait: () => Promise.resolve() },
  { name: "setImmediate", wait: () => new Promise<void>((resolve) => setImmediate(resolve)) },
];

async function startedFile(ctx: CaseContext, id: string, dir: string): Promise<void> {
  await commandStarted(ctx, id, `${dir}/started`);
}

/**
 * Cases for the kill protocol and background children (issue 13, items 1 and 9).
 */
export const execKillCases: readonly ConformanceCase[] = [
  {
    id: "exec.kill-escalation",
    title: "a timed-out command run as nobody cannot turn the kill on another process or pid 1 by writing pids into files",
    level: "MUST",
    needs: ["execUser"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      await ctx.sh(id, 'mkdir -p "$1/own" && chmod 777 "$1/own"', [dir]);
      const victimCmd = uniqueSleep();
      // A root process the command must not be able to reach; its output goes away so exec returns.
      const victim = (await ctx.sh(id, '$1 >/dev/null 2>&1 </dev/null & echo $!', [victimCmd])).stdout.trim();
      assert.match(victim, /^\d+$/);
      try {
        for (const target of [victim, "1"]) {
          // Writes the target pid into every file it can write (including any file the provider
          // keeps for the kill), over and over until it is killed.
          const hostile =
            // Its own pid goes into a file it then makes read-only, so it does not overwrite it itself.
            'echo $$ > "$1/own/pid"; chmod 444 "$1/own/pid"; : > "$1/own/bait"; while :; do for f in $(find /tmp /var/tmp /dev/shm /run "$1/own" -xdev -type f -writable 2>/dev/null); do printf "%s\\n" "$2" > "$f" 2>/dev/null; done; sleep 0.05; done';
          const call = ctx.sh(id, hostile, [dir, target], { user: "nobody", timeoutMs: TIMEOUT_MS });
          await expectVMError(() => settlesWithin(`exec with timeoutMs ${TIMEOUT_MS}`, call, TIMEOUT_MS + SETTLE_MS), "TIMEOUT");
          const pid = (await ctx.provider.files.readFile(id, `${dir}/own/pid`)).trim();
          assert.match(pid, /^\d+$/, "the hostile command ran");
          await processGone(ctx, id, pid, `hostile command ${pid} gone`, 20_000);
          const alive = await ctx.sh(id, 'kill -0 "$1" && kill -0 1 && tr "\\0" " " < "/proc/$1/cmdline"', [victim]);
          assert.equal(alive.exit_code, 0, `the victim (pid ${victim}) and pid 1 live after the kill of a command that wrote ${target} everywhere`);
          assert.equal(alive.stdout.trim(), victimCmd, "the victim pid is still the victim");
        }
      } finally {
        await ctx.sh(id, 'kill "$1" 2>/dev/null; true', [victim]);
      }
    },
  },
  ...BACKGROUND_VARIANTS.map(
    ({ name, script }): ConformanceCase => ({
      id: `exec.timeout-kills-${name.split(" ")[0]}`,
      title: `after TIMEOUT no ${name} of the command is still running`,
      level: "MUST",
      needs: [],
      async run(ctx) {
        const id = await ctx.sharedInstance();
        const dir = await ctx.scratchDir();
        const cmd = uniqueSleep();
        const call = ctx.sh(id, script, [dir, cmd], { timeoutMs: TIMEOUT_MS });
        await expectVMError(() => settlesWithin(`exec with timeoutMs ${TIMEOUT_MS}`, call, TIMEOUT_MS + SETTLE_MS), "TIMEOUT");
        assert.ok(await ctx.provider.files.fileExists(id, `${dir}/started`), "the command ran");
        await noneLeft(ctx, id, cmd);
      },
    }),
  ),
  {
    id: "exec.abort-kills-children",
    title: "after ABORTED (signal) no background or setsid child of the command is still running",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      for (const { script } of BACKGROUND_VARIANTS) {
        const dir = await ctx.scratchDir();
        const cmd = uniqueSleep();
        const controller = new AbortController();
        const call = ctx.sh(id, script, [dir, cmd], { signal: controller.signal });
        await startedFile(ctx, id, dir);
        controller.abort();
        await expectVMError(() => settlesWithin("exec after its signal aborted", call), "ABORTED");
        await noneLeft(ctx, id, cmd);
      }
    },
  },
  ...(["exec", "execStream"] as const).map(
    (mode): ConformanceCase => ({
      id: `exec.abort-early-${mode === "exec" ? "exec" : "stream"}`,
      title: `${mode} aborted right after the call (synchronously, on the next microtask, after setImmediate) fails with ABORTED and leaves nothing running`,
      level: "MUST",
      needs: mode === "exec" ? [] : ["execStream"],
      async run(ctx) {
        const id = await ctx.sharedInstance();
        for (const { name, wait } of EARLY_ABORTS) {
          const cmd = uniqueSleep();
          const argv = ["bash", "-c", "$1", "bash", cmd];
          const controller = new AbortController();
          const call: Promise<unknown> =
            mode === "exec"
              ? ctx.provider.instances.exec(id, argv, { signal: controller.signal })
              : (async () => {
                  // for-await calls next() before its first await: the stream is started by now.
                  for await (const _chunk of ctx.provider.instances.execStream(id, argv, { signal: controller.signal })) void _chunk;
                })();
          // It may reject before the abort below; the rejection is checked after it.
          call.catch(() => undefined);
          await wait();
          controller.abort();
          await expectVMError(() => settlesWithin(`${mode} aborted at ${name}`, call), "ABORTED");
          await noneLeft(ctx, id, cmd);
        }
      },
    }),
  ),
  {
    id: "exec.stream-break-kills-children",
    title: "leaving execStream early kills the command's background and setsid children",
    level: "MUST",
    needs: ["execStream"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      for (const { script } of BACKGROUND_VARIANTS) {
        const dir = await ctx.scratchDir();
        const cmd = uniqueSleep();
        for await (const chunk of ctx.provider.instances.execStream(id, ["bash", "-c", script, "bash", dir, cmd])) {
          if (chunk.type === "stdout" && chunk.data.includes("done")) break;
        }
        assert.ok(await ctx.provider.files.fileExists(id, `${dir}/started`), "the command ran");
        await noneLeft(ctx, id, cmd);
      }
    },
  },
  {
    id: "exec.background-holds-output",
    title: "a background child that keeps stdout open holds the result (its output included); one that redirects it away does not, and keeps running",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const options: ExecOptions = { timeoutMs: 60_000 };
      // The child still writes after the command exited: its line is part of the result.
      // 4 s: longer than the ~2 s a Docker engine keeps reading after the exec's process exits.
      const held = await ctx.sh(id, "{ sleep 4; echo late; } & echo done", [], options);
      assert.deepEqual(held, { stdout: "done\nlate\n", stderr: "", exit_code: 0 });
      const cmd = uniqueSleep();
      try {
        const free = await settlesWithin(
          "an exec whose background child redirected its output away",
          ctx.sh(id, '$1 >/dev/null 2>&1 </dev/null & echo done', [cmd], options),
        );
        assert.deepEqual(free, { stdout: "done\n", stderr: "", exit_code: 0 });
        assert.ok(await running(ctx, id, cmd), "the redirected child keeps running after a successful exec");
      } finally {
        await ctx.sh(id, 'pkill -fx -- "$1"; true', [cmd]);
      }
    },
  },
];
