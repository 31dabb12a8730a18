import type { ExecOptions } from "@vm/core";
import { VMError, type ErrorContext } from "@vm/provider-kit";
import { MORPH_MAX_COMMAND_LINE_BYTES, shellQuote, toShellLine } from "../../exec/shell-line.js";
import { buildExecCommand, buildExecKillCommand, needsWrapper } from "../../exec/wrapper-script.js";

// Morph's exec takes one command: env entries and stdin (base64) travel in it as the wrapper's
// arguments, so they count against the one line's limit together with argv.
const COMMAND_WHAT = "argv, env and stdin (as base64) in the exec command";

/**
 * Extra HTTP time an exec with its own `timeoutMs` gets over it: the wrapper kills the command
 * at the limit, and its answer (exit 124 and the marker) must still arrive.
 */
export const EXEC_TIMEOUT_GRACE_MS = 15_000;

/**
 * The parts of a wrapped argv that must never reach an error, should the server echo the
 * request: its `NAME=value` env entries and its stdin chunks (base64), as given and as quoted
 * in the line. Layout: `bash -c SCRIPT vm-exec cwd user timeout N M killId <N env> <M stdin> argv...`.
 */
function wrappedSecrets(wrapped: readonly string[]): string[] {
  const parts = wrapped.slice(10, 10 + Number(wrapped[7]) + Number(wrapped[8]));
  return [...parts, ...parts.map(shellQuote)];
}

/** One exec's `command` (the argv as one quoted shell line) and what must be redacted from echoes of it. */
export interface ExecRequest {
  command: [string];
  redact: string[];
}

/**
 * What an exec sends for `argv` (wrapped when options or a kill id need it): one element, a
 * shell line that means the same under every exec semantics Morph may have (see
 * ../../exec/shell-line.ts). `INVALID_ARGUMENT` when the line is longer than one argument may be.
 */
export function execRequest(argv: readonly string[], options: ExecOptions | undefined, killId: string | undefined, c: ErrorContext): ExecRequest {
  const wrapped = buildExecCommand(argv, options, killId);
  const line = toShellLine(wrapped);
  const bytes = Buffer.byteLength(line);
  if (bytes > MORPH_MAX_COMMAND_LINE_BYTES) {
    throw new VMError(
      "INVALID_ARGUMENT",
      `${COMMAND_WHAT} take ${bytes} bytes as one shell line; the limit is ${MORPH_MAX_COMMAND_LINE_BYTES} bytes (one argument of the shell that runs it, Linux's 128 KiB)`,
      c,
    );
  }
  return { command: [line], redact: needsWrapper(options) || killId !== undefined ? wrappedSecrets(wrapped) : [] };
}

/** The `command` of the exec that kills what `killId` started, as one shell line. */
export function killRequestCommand(killId: string): [string] {
  return [toShellLine(buildExecKillCommand(killId))];
}

/** The HTTP timeout of one exec request: its limit plus the grace, else the provider's. */
export function execHttpTimeout(limit: number | undefined, execTimeoutMs: number | false): number | false {
  return limit === undefined ? execTimeoutMs : limit + EXEC_TIMEOUT_GRACE_MS;
}
