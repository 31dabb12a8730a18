import type { ExecOptions } from "@vm/core";
import { assertCommandSize, type ErrorContext } from "@vm/provider-kit";
import { buildExecCommand, needsWrapper } from "../../exec/wrapper-script.js";

// Morph's exec takes one argv: env entries and stdin (base64) travel in it as the wrapper's
// arguments, so they count against the kernel's argument limit together with argv.
const COMMAND_WHAT = "argv, env and stdin (as base64) in the exec command";

/**
 * Extra HTTP time an exec with its own `timeoutMs` gets over it: the wrapper kills the command
 * at the limit, and its answer (exit 124 and the marker) must still arrive.
 */
export const EXEC_TIMEOUT_GRACE_MS = 15_000;

/**
 * The parts of a wrapped exec command that must never reach an error, should the server echo
 * the request: its `NAME=value` env entries and its stdin chunks (base64). Layout:
 * `bash -c SCRIPT vm-exec cwd user timeout N M killId <N env> <M stdin> argv...`.
 */
export function execSecrets(command: readonly string[], wrapped: boolean): string[] {
  if (!wrapped) return [];
  return command.slice(10, 10 + Number(command[7]) + Number(command[8]));
}

/** The command sent for `argv` (wrapped when options or a kill id need it), checked for size. */
export function execCommand(argv: readonly string[], options: ExecOptions | undefined, killId: string | undefined, c: ErrorContext): string[] {
  const command = buildExecCommand(argv, options, killId);
  assertCommandSize(command, undefined, c, COMMAND_WHAT);
  return command;
}

/** Whether `execCommand` wrapped the command (so `execSecrets` has something to hide). */
export function isWrapped(options: ExecOptions | undefined, killId: string | undefined): boolean {
  return needsWrapper(options) || killId !== undefined;
}

/** The HTTP timeout of one exec request: its limit plus the grace, else the provider's. */
export function execHttpTimeout(limit: number | undefined, execTimeoutMs: number | false): number | false {
  return limit === undefined ? execTimeoutMs : limit + EXEC_TIMEOUT_GRACE_MS;
}
