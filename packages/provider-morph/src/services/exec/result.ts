import type { ExecResult } from "@vm/core";
import { takeTimeoutMarker } from "../../exec/wrapper-script.js";
import type { ExecResponse } from "../../spec/responses.js";

/**
 * Morph's exec answer -> the contract's result. With a time limit, the wrapper's marker is
 * taken off stderr; `timedOut` when the wrapper killed the command at the limit (exit 124
 * and the marker).
 */
export function toExecResult(answer: ExecResponse, limit: number | undefined): { result: ExecResult; timedOut: boolean } {
  if (limit === undefined) return { result: { stdout: answer.stdout, stderr: answer.stderr, exit_code: answer.exit_code }, timedOut: false };
  const { timedOut, stderr } = takeTimeoutMarker(answer.stderr);
  return { result: { stdout: answer.stdout, stderr, exit_code: answer.exit_code }, timedOut: timedOut && answer.exit_code === 124 };
}
