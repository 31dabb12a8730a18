import type { ExecOptions, ExecStreamChunk } from "@vm/core";
import { VMError, type ErrorContext } from "@vm/provider-kit";
import { createStartFailureGate, startFailureError } from "@vm/provider-kit/internal";
import { createParser } from "eventsource-parser";
import { EXEC_TIMEOUT_MARKER } from "../../exec/wrapper-script.js";
import { execSseEventSchema } from "../../spec/responses.js";

/** Decodes the bytes of an `exec/sse` answer into contract chunks. */
export interface ExecSseDecoder {
  /**
   * Feeds the next bytes (`undefined` at the end) and returns the chunks they completed.
   * Throws a `VMError`: `INTERNAL` for an event off the spec, `TIMEOUT` when the wrapper
   * killed the command at its limit, `RESOURCE_EXHAUSTED` past `maxEventBytes`.
   */
  feed(bytes: Uint8Array | undefined): ExecStreamChunk[];
  /** Whether the exit code arrived (the command is over). */
  readonly exitSeen: boolean;
  /** Whether the wrapper answered that the command could not start (no such user, `cwd` not enterable): nothing ran. */
  readonly notStarted: boolean;
}

/**
 * A decoder for one stream; `options.timeoutMs` is the call's limit (the wrapper's marker is
 * watched with one), and `killId` the exec's tag, which the wrapper's "could not start" marker carries.
 */
export function createExecSseDecoder(maxEventBytes: number, options: ExecOptions | undefined, killId: string, c: ErrorContext): ExecSseDecoder {
  const timeoutMs = options?.timeoutMs;
  const decoder = new TextDecoder();
  const queue: ExecStreamChunk[] = [];
  let exitSeen = false;
  let timedOut = false;
  let stderrTail = "";
  let notStarted = false;
  // Holds the first stderr back while it may be the wrapper's "could not start" answer.
  const gate = createStartFailureGate(killId);
  let bad: VMError | undefined;
  // Bytes fed since the last complete event: what the parser may be holding. A line (or an
  // event) that never ends would otherwise grow it without bound.
  let pending = 0;
  const parser = createParser({
    onEvent: (event) => {
      pending = 0;
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        bad = new VMError("INTERNAL", "exec/sse sent an event that is not JSON", c);
        return;
      }
      const parsed = execSseEventSchema.safeParse(data);
      if (!parsed.success) {
        bad = new VMError("INTERNAL", "exec/sse sent an event that does not match the spec", { ...c, cause: parsed.error.issues });
        return;
      }
      const ev = parsed.data;
      if (ev.type === "exit_code") {
        exitSeen = true;
        if (timedOut && ev.content === 124 && timeoutMs !== undefined) {
          bad = new VMError("TIMEOUT", `command ran longer than ${timeoutMs} ms and was killed`, c);
          // Not an exit the caller sees: the stream's end kills what may be left (see exec).
          exitSeen = false;
          return;
        }
        const end = gate.exit(ev.content);
        if ("failure" in end) {
          bad = startFailureError(end.failure, options, c);
          notStarted = true;
          return;
        }
        queue.push(...end.chunks, { type: "exit", exit_code: ev.content });
      } else if (ev.type === "stderr" && timeoutMs !== undefined) {
        // The marker may arrive split over several chunks: watch the tail of stderr.
        stderrTail = (stderrTail + ev.content).slice(-EXEC_TIMEOUT_MARKER.length);
        timedOut = stderrTail === EXEC_TIMEOUT_MARKER;
        queue.push(...gate.push({ type: "stderr", data: ev.content }));
      } else {
        queue.push(...gate.push({ type: ev.type, data: ev.content }));
      }
    },
  });
  return {
    feed(bytes) {
      if (bytes === undefined) {
        parser.feed(decoder.decode());
        if (bad) throw bad;
      } else {
        pending += bytes.byteLength;
        parser.feed(decoder.decode(bytes, { stream: true }));
        if (bad) throw bad;
        if (pending > maxEventBytes) {
          throw new VMError("RESOURCE_EXHAUSTED", `exec/sse sent more than maxEventBytes (${maxEventBytes} bytes) without completing an event (${pending} bytes)`, c);
        }
      }
      return queue.splice(0, queue.length);
    },
    get exitSeen() {
      return exitSeen;
    },
    get notStarted() {
      return notStarted;
    },
  };
}
