import type { ExecStreamChunk } from "@vm/core";
import { VMError } from "@vm/provider-kit";
import { createStartFailureGate, startFailureError } from "@vm/provider-kit/internal";
import type { DockerContext } from "../context.js";
import { type ExecRequest, startDrive } from "./drive.js";

// execStream pauses the socket when the consumer falls this far behind.
const STREAM_HIGH_WATER = 4 * 1024 * 1024;


/**
 * Runs a command and yields output as it arrives, then one exit chunk. Returning early
 * from the loop kills the command in the container.
 */
export async function* streamExec(ctx: DockerContext, req: ExecRequest): AsyncGenerator<ExecStreamChunk, void, undefined> {
  // The queue holds raw frames and counts raw bytes, in and out: one unit. Decoding happens
  // when a chunk is handed to the consumer. (Counting decoded text out against bytes in made
  // the counter go negative on invalid UTF-8, where one byte becomes U+FFFD, three bytes,
  // so the socket was never paused and memory grew without bound.)
  const queue: { type: "stdout" | "stderr"; data: Buffer }[] = [];
  let queued = 0;
  let paused = false;
  let wake: (() => void) | undefined;
  const decoders = { stdout: new TextDecoder("utf-8"), stderr: new TextDecoder("utf-8") };
  const drive = await startDrive(ctx, req, (stream, data, d) => {
    if (data.length === 0) return;
    queue.push({ type: stream, data });
    queued += data.length;
    if (queued > STREAM_HIGH_WATER && !paused) {
      paused = true;
      d.socket.pause();
    }
    wake?.();
  });
  // Holds the first stderr back while it may be the wrapper's "cannot enter cwd" answer.
  const gate = createStartFailureGate(drive.execId);
  let outcome: { code: number } | { error: unknown } | undefined;
  drive.exitCode.then(
    (code) => {
      outcome = { code };
      wake?.();
    },
    (error: unknown) => {
      outcome = { error };
      wake?.();
    },
  );
  try {
    for (;;) {
      const frame = queue.shift();
      if (frame) {
        queued -= frame.data.length;
        if (paused && queued < STREAM_HIGH_WATER / 2) {
          paused = false;
          drive.socket.resume();
        }
        // A character split across frames waits in the decoder for its next bytes.
        const text = decoders[frame.type].decode(frame.data, { stream: true });
        if (text.length > 0) yield* gate.push({ type: frame.type, data: text });
        continue;
      }
      if (outcome) {
        if ("error" in outcome) throw outcome.error;
        for (const type of ["stdout", "stderr"] as const) {
          const rest = decoders[type].decode();
          if (rest.length > 0) yield* gate.push({ type, data: rest });
        }
        const end = gate.exit(outcome.code);
        if ("failure" in end) throw startFailureError(end.failure, req.options, { provider: ctx.provider, operation: req.operation });
        yield* end.chunks;
        yield { type: "exit", exit_code: outcome.code };
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    if (!outcome) await drive.cancel(new VMError("ABORTED", "the stream was closed by the caller", { provider: ctx.provider, operation: req.operation }));
  }
}
