import type { ExecStreamChunk, ProcessLogLine, StreamLogsOptions, VMInstanceService } from "@vm/core";
import { VMError, assertSignal, isVMError, readOptionsObject, type ErrorContext } from "@vm/provider-kit";
import { STREAM_LOGS_SH } from "./sh/stream-logs.sh.js";

/** The `execStream` `streamLogs()` follows the log files with. */
export type ExecStreamFunction = VMInstanceService["execStream"];

/**
 * Longest line `streamLogs()` holds back waiting for its end: a longer one is yielded in pieces
 * of this size, so client memory stays bounded whatever the process writes.
 */
export const MAX_STREAMED_LINE_CHARS = 1024 * 1024;

/** Checks `streamLogs()` options up front (an already aborted signal is `ABORTED`). */
export function readStreamLogsOptions(options: unknown, ctx: ErrorContext): StreamLogsOptions {
  const o = readOptionsObject(options, ctx, "options", ["signal"]) ?? {};
  assertSignal(o.signal, ctx);
  return o;
}

/** Argv that follows `outs` on stdout and `errs` on stderr (see sh/stream-logs.sh). */
export function streamLogsArgv(outs: readonly string[], errs: readonly string[]): string[] {
  return ["/bin/sh", "-c", STREAM_LOGS_SH, "vm-pm2-logs", ...outs, "-", ...errs];
}

/** Splits chunks of one stream into lines, holding back the unfinished last one (bounded). */
export function lineSplitter(stream: ProcessLogLine["stream"]): (data: string) => ProcessLogLine[] {
  let pending = "";
  return (data) => {
    pending += data;
    const lines: ProcessLogLine[] = [];
    let start = 0;
    for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n", start)) {
      lines.push({ stream, line: pending.slice(start, nl) });
      start = nl + 1;
    }
    pending = pending.slice(start);
    while (pending.length >= MAX_STREAMED_LINE_CHARS) {
      lines.push({ stream, line: pending.slice(0, MAX_STREAMED_LINE_CHARS) });
      pending = pending.slice(MAX_STREAMED_LINE_CHARS);
    }
    return lines;
  };
}

/** The instance went away (terminated, stopped) under a running stream: the stream just ends. */
function instanceGone(err: unknown): boolean {
  return isVMError(err) && (err.code === "NOT_FOUND" || err.code === "CONFLICT");
}

/**
 * Follows the given log files through one `execStream` and yields their new lines. Ends
 * without an error when `signal` aborts or the instance goes away; leaving the loop ends the
 * exec, which kills the tails in the VM (the provider's exec kill).
 */
export async function* followLogs(
  execStream: ExecStreamFunction,
  instanceId: string,
  files: { outs: readonly string[]; errs: readonly string[] },
  options: StreamLogsOptions & { env: Record<string, string>; holdStdin: boolean },
  ctx: ErrorContext,
): AsyncGenerator<ProcessLogLine> {
  const split = { stdout: lineSplitter("out"), stderr: lineSplitter("err") };
  const { signal } = options;
  const stdin = options.holdStdin ? openStdin() : undefined;
  let chunks: AsyncIterable<ExecStreamChunk>;
  try {
    const env = stdin ? { ...options.env, VM_LOGS_STDIN: "1" } : options.env;
    chunks = execStream(instanceId, streamLogsArgv(files.outs, files.errs), { env, ...(signal ? { signal } : {}), ...(stdin ? { stdin: stdin.input } : {}) });
    for await (const chunk of chunks) {
      if (chunk.type === "exit") {
        // The tails never end by themselves: an exit is the instance's end (or a kill from outside).
        return;
      }
      for (const line of split[chunk.type](chunk.data)) yield line;
    }
  } catch (err) {
    if (signal?.aborted && isVMError(err) && err.code === "ABORTED") return;
    if (instanceGone(err)) return;
    throw isVMError(err) ? new VMError(err.code, `following the logs failed: ${err.message}`, { ...ctx, cause: err }) : err;
  } finally {
    stdin?.close();
  }
}

/**
 * A stdin that stays open, yielding nothing, until `close()`: the script in the VM reads its
 * end as "the caller is gone" (a caller killed outright sends no kill exec).
 */
function openStdin(): { input: AsyncIterable<string>; close(): void } {
  let close = () => {};
  const closed = new Promise<IteratorResult<string>>((resolve) => (close = () => resolve({ done: true, value: undefined })));
  const iterator: AsyncIterator<string> = {
    next: () => closed,
    return: () => {
      close();
      return closed;
    },
  };
  return { input: { [Symbol.asyncIterator]: () => iterator }, close: () => close() };
}
