import { randomUUID } from "node:crypto";
import type { ExecOptions, ExecResult } from "@vm/core";
import { VMError, hasVMErrorCode, readExecCall } from "@vm/provider-kit";
import { readStartFailure, startFailureError } from "@vm/provider-kit/internal";
import { pathOf } from "../../api-client/base-client.js";
import { execResponseSchema, type ExecResponse } from "../../spec/responses.js";
import { ctx, type ExecDeps } from "./deps.js";
import { killCommand } from "./kill.js";
import { execHttpTimeout, execRequest } from "./request.js";
import { toExecResult } from "./result.js";

/** `instances.exec` over `POST /instance/{id}/exec`. */
export async function execOnce(deps: ExecDeps, instanceId: string, givenArgv: readonly string[], givenOptions?: ExecOptions): Promise<ExecResult> {
  const c = ctx("instances.exec");
  const { argv, options: execOptions } = readExecCall(instanceId, givenArgv, givenOptions, c);
  const limit = execOptions?.timeoutMs;
  // The command gets a kill id whenever the call can give up on it (a signal, a time limit,
  // the HTTP timeout), so an abort or a timeout kills it in the VM, or stops it from starting
  // when its request arrives late: the request alone ending does neither, on Morph. Without
  // one, a call that failed with TIMEOUT could still have run its command after the fact.
  const canGiveUp = execOptions?.signal !== undefined || limit !== undefined || deps.execTimeoutMs !== false;
  const killId = canGiveUp ? randomUUID() : undefined;
  const { command, redact } = execRequest(argv, execOptions, killId, c);
  let answer: ExecResponse;
  try {
    answer = await deps.client.request({
      method: "POST",
      path: pathOf("instance", instanceId, "exec"),
      operation: c.operation,
      json: { command },
      redact,
      schema: execResponseSchema,
      // A command may have side effects: exec is never re-sent.
      idempotent: false,
      ...(execOptions?.signal ? { signal: execOptions.signal } : {}),
      timeoutMs: execHttpTimeout(limit, deps.execTimeoutMs),
    });
  } catch (err) {
    if (killId !== undefined && hasVMErrorCode(err, "ABORTED", "TIMEOUT")) await killCommand(deps, instanceId, killId, c.operation);
    throw err;
  }
  // The wrapper could not enter cwd as the command's user, or the user does not exist.
  const notStarted = readStartFailure(answer, killId);
  if (notStarted) throw startFailureError(notStarted, execOptions, c);
  const { result, timedOut } = toExecResult(answer, limit);
  if (timedOut) {
    // The wrapper killed the command and what held its output; a child that left both
    // (setsid, output redirected) carries the tag still: nothing may run on after TIMEOUT.
    if (killId !== undefined) await killCommand(deps, instanceId, killId, c.operation);
    throw new VMError("TIMEOUT", `command ran longer than ${limit} ms and was killed`, c);
  }
  return result;
}
