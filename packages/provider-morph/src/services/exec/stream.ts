import { randomUUID } from "node:crypto";
import type { ExecOptions, ExecStreamChunk } from "@vm/core";
import { VMError, isVMError, readExecCall, type ErrorContext } from "@vm/provider-kit";
import { pathOf } from "../../api-client/base-client.js";
import { ctx, type ExecDeps } from "./deps.js";
import { killCommand } from "./kill.js";
import { execHttpTimeout, execRequest, type ExecRequest } from "./request.js";
import { createExecSseDecoder } from "./sse.js";

/** `instances.execStream` over `POST /instance/{id}/exec/sse`. Validates at the call, like every provider: bad input fails before the first `next()`. */
export function execStream(deps: ExecDeps, instanceId: string, givenArgv: readonly string[], givenOptions?: ExecOptions): AsyncIterable<ExecStreamChunk> {
  const c = ctx("instances.execStream");
  const { argv, options: execOptions } = readExecCall(instanceId, givenArgv, givenOptions, c);
  // Every stream gets a kill id: closing it early (break, error, abort, timeout) aborts the
  // request and then kills the command with a second exec.
  const killId = randomUUID();
  const request = execRequest(argv, execOptions, killId, c);
  return streamChecked(deps, instanceId, request, killId, execOptions, c);
}

async function* streamChecked(deps: ExecDeps, instanceId: string, { command, redact }: ExecRequest, killId: string, execOptions: ExecOptions | undefined, c: ErrorContext & { operation: string }): AsyncIterable<ExecStreamChunk> {
  const controller = new AbortController();
  const outer = execOptions?.signal;
  const onAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", onAbort, { once: true });
  // Whether the command may be running: the request went out and was not refused with a status.
  let mayRun = true;
  const events = createExecSseDecoder(deps.maxEventBytes, execOptions, killId, c);
  try {
    const response = await deps.client
      .stream({
        method: "POST",
        path: pathOf("instance", instanceId, "exec", "sse"),
        operation: c.operation,
        json: { command },
        redact,
        signal: controller.signal,
        timeoutMs: execHttpTimeout(execOptions?.timeoutMs, deps.execTimeoutMs),
      })
      .catch((err: unknown) => {
        // A status answer (429, 5xx, 4xx) means the command was not started; a reset before
        // the answer cannot tell, and an abort or timeout may leave it starting late.
        if (isVMError(err) && (err.cause as { status?: unknown } | undefined)?.status !== undefined) mayRun = false;
        throw err;
      });
    try {
      for (;;) {
        // The client's reader bounds each read by the call's timeout and signal (VMErrors).
        const chunk = await response.read();
        if (chunk === undefined) break;
        yield* events.feed(chunk);
        if (events.exitSeen) return;
      }
      yield* events.feed(undefined);
      if (!events.exitSeen) throw new VMError("UNAVAILABLE", "the exec stream ended before the exit code", c);
    } finally {
      await response.cancel();
    }
  } finally {
    outer?.removeEventListener("abort", onAbort);
    controller.abort();
    if (!events.exitSeen && !events.notStarted && mayRun) await killCommand(deps, instanceId, killId, c.operation);
  }
}
