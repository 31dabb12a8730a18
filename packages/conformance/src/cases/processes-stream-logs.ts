import { strict as assert } from "node:assert";
import type { ProcessLogLine } from "@vm/core";
import { eventually, expectVMError } from "../assertions.js";
import type { ConformanceCase } from "../types.js";

// Two cluster workers; each writes a numbered line to stdout and one to stderr every 100 ms.
const TICKER = `const worker = process.env.NODE_APP_INSTANCE ?? "0";
let n = 0;
setInterval(() => {
  n++;
  console.log("tick " + n + " worker " + worker);
  console.error("warn " + n + " worker " + worker);
}, 100);
`;

// Counts the `tail` processes in the VM still following a log file of process $1.
const FOLLOWERS = String.raw`n=0
for d in /proc/[0-9]*; do
  [ "$(cat "$d/comm" 2>/dev/null)" = tail ] || continue
  case "$(tr '\0' ' ' < "$d/cmdline" 2>/dev/null)" in *"$1"*) n=$((n + 1)) ;; esac
done
echo "$n"`;

/**
 * `processes.streamLogs()`: lines written while it runs arrive tagged `out` or `err`, from
 * every cluster worker; aborting ends the loop without an error and leaves nothing running.
 */
export const processStreamLogCases: readonly ConformanceCase[] = [
  {
    id: "processes.stream-logs",
    title: "streamLogs yields new out and err lines of every cluster worker as they are written; abort ends it cleanly with nothing left running",
    level: "MUST",
    needs: ["processes", "execStream"],
    timeoutMs: 240_000,
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir(id);
      const { processes, instances } = ctx.provider;
      const name = ctx.unique("vmc-ticker");
      await ctx.provider.files.writeFile(id, `${dir}/ticker.js`, TICKER);
      ctx.track.add(`process ${name}`, () => processes.delete(id, name));
      await processes.start(id, "node", {
        name,
        script: `${dir}/ticker.js`,
        instances: 2,
        exec_mode: "cluster",
      });
      const controller = new AbortController();
      const seen: ProcessLogLine[] = [];
      const want = (l: ProcessLogLine) => `${l.stream} ${l.line.split(" ").slice(-1)[0]}`;
      const stop = setTimeout(() => controller.abort(), 60_000);
      try {
        for await (const line of processes.streamLogs(id, name, { signal: controller.signal })) {
          seen.push(line);
          const kinds = new Set(seen.filter((l) => /^(tick|warn) \d+ worker \d$/.test(l.line)).map(want));
          if (["out 0", "out 1", "err 0", "err 1"].every((k) => kinds.has(k))) controller.abort();
        }
      } finally {
        clearTimeout(stop);
      }
      const kinds = new Set(seen.map(want));
      for (const k of ["out 0", "out 1", "err 0", "err 1"]) assert.ok(kinds.has(k), `a line "${k.replace(" ", " from worker ")}" arrived (saw ${seen.length} lines: ${JSON.stringify(seen.slice(0, 6))})`);
      for (const l of seen) assert.equal(l.stream === "out", l.line.startsWith("tick"), `stdout lines are out and stderr lines err: ${JSON.stringify(l)}`);
      await eventually("nothing follows the logs after the abort", async () => {
        const { stdout } = await instances.exec(id, ["bash", "-c", FOLLOWERS, "bash", name]);
        return stdout.trim() === "0" ? true : undefined;
      }, { timeoutMs: 20_000 });
      await expectVMError(() => processes.streamLogs(id, "vmc-no-such-process", {})[Symbol.asyncIterator]().next(), "NOT_FOUND");
      await expectVMError(() => processes.streamLogs(id, name, { signal: AbortSignal.abort() }), "ABORTED");
    },
  },
];
