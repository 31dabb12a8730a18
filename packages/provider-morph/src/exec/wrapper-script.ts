import type { ExecOptions } from "@vm/core";
import { EXEC_KILL_SCRIPT, EXEC_RUN_DIR, PASSWD_LOOKUP_FUNCTION, buildExecKillArgv, isExecId } from "@vm/provider-kit/internal";
import { EXEC_WRAPPER_SH } from "./sh/exec-wrapper.sh.js";

export { EXEC_KILL_SCRIPT };

/**
 * Morph's exec takes only `command` (an argv). cwd, env, user, stdin and a timeout are
 * applied by this FIXED bash script; every user value reaches it as a positional argument,
 * never spliced into the script text.
 *
 * Positional layout: `$1` cwd ("" = unchanged), `$2` user ("" = unchanged), `$3` timeout in
 * seconds ("" = none), `$4` number of env entries N, `$5` number of stdin chunks M, `$6` kill
 * id ("" = none), then N `NAME=VALUE` entries, then M base64 chunks of stdin, then the
 * command's argv.
 *
 * With a kill id, the wrapper exports `VM_EXEC_ID=<id>` to the command (the tag of
 * `@vm/provider-kit`'s kill protocol) so `EXEC_KILL_SCRIPT` (a second exec, as root) finds the
 * command and everything it started, even after they were re-parented or moved to another
 * process group or session (coreutils `timeout` does that). It records its own pid in
 * `/run/vm-exec/<id>.pid` (`EXEC_RUN_DIR`: root-only, so a command run as another user can
 * neither write nor replace it); if the kill came first (the exec request was slow to
 * arrive), its `<id>.cancel` file there stops the command from starting. A wrapper not run as
 * root cannot use that directory: its command is still found by the tag, but has no
 * cancel-before-start.
 *
 * With a time limit, a background child that still holds the wrapper's stdout or stderr after
 * the command exited holds the result until it closes them or the limit passes; then it is
 * killed and the result is the timeout (124 and the marker), like a command that ran too long.
 *
 * Exit codes: the command's own; 124 with the marker line on stderr when the timeout fired;
 * 125 with only `startFailureMarker(kind, killId)` (`@vm/provider-kit`) on stderr
 * when the working directory cannot be entered as the command's user or the user does not
 * exist (the provider answers `NOT_FOUND`); 130 when it was cancelled before it started.
 *
 * The script is ./sh/exec-wrapper.sh, embedded at build time (scripts/embed-shell.mjs), with
 * the kit's `PASSWD_LOOKUP_FUNCTION` put in place of its placeholder line.
 */
export const EXEC_WRAPPER_SCRIPT = EXEC_WRAPPER_SH.replace(
  "  __VM_PASSWD_LOOKUP__\n",
  () => `${PASSWD_LOOKUP_FUNCTION.split("\n").map((line) => `  ${line}`).join("\n")}\n`,
);

/**
 * The argv of the exec that kills a wrapped command started with `killId`: `@vm/provider-kit`'s
 * one kill protocol (`EXEC_KILL_SCRIPT`, re-exported here), with the wrapper's root-only
 * `EXEC_RUN_DIR` for its pid and cancel files.
 *
 * @example
 * ```ts
 * import { buildExecKillCommand } from "@vm/provider-morph";
 * buildExecKillCommand("0b7c…"); // ["sh", "-c", EXEC_KILL_SCRIPT, "vm-kill", "0b7c…", "/run/vm-exec"]
 * ```
 */
export function buildExecKillCommand(killId: string): string[] {
  return buildExecKillArgv(killId, EXEC_RUN_DIR);
}

/** The marker the wrapper prints on stderr when its timeout fired. */
export const EXEC_TIMEOUT_MARKER = "\nvm-exec: timed out\n";

/** Largest base64 stdin chunk per argument: Linux caps one argument at 128 KiB. */
export const STDIN_CHUNK_CHARS = 96 * 1024;

/** Whether `options` need the wrapper (without them and without a kill id, argv is sent as is). */
export function needsWrapper(options: ExecOptions | undefined): boolean {
  if (!options) return false;
  return (
    options.cwd !== undefined ||
    options.user !== undefined ||
    options.timeoutMs !== undefined ||
    options.stdin !== undefined ||
    (options.env !== undefined && Object.keys(options.env).length > 0)
  );
}

/**
 * Builds the `command` argv Morph runs: the argv itself when no option needs the wrapper
 * and there is no `killId`, else
 * `["bash", "-c", EXEC_WRAPPER_SCRIPT, "vm-exec", cwd, user, timeout, N, M, killId, ...env, ...stdin, ...argv]`.
 * `killId` (letters, digits and `-` only) makes the command killable with `buildExecKillCommand(killId)`.
 *
 * @example
 * ```ts
 * import { buildExecCommand } from "@vm/provider-morph";
 * buildExecCommand(["ls"], { cwd: "/tmp" });
 * // ["bash", "-c", <script>, "vm-exec", "/tmp", "", "", "0", "0", "", "ls"]
 * ```
 */
export function buildExecCommand(argv: readonly string[], options?: ExecOptions, killId?: string): string[] {
  if (killId !== undefined && !isExecId(killId)) throw new TypeError("killId must be 1-64 letters, digits or dashes");
  if (!needsWrapper(options) && killId === undefined) return [...argv];
  const opts = options ?? {};
  const env = Object.entries(opts.env ?? {}).map(([name, value]) => `${name}=${value}`);
  const stdinChunks: string[] = [];
  if (opts.stdin !== undefined) {
    // A streamed stdin (AsyncIterable) never gets here: the kit refuses it (capabilities.stdinStream is false).
    if (typeof opts.stdin !== "string" && !(opts.stdin instanceof Uint8Array)) throw new TypeError("stdin must be a string or a Uint8Array here");
    const bytes = typeof opts.stdin === "string" ? Buffer.from(opts.stdin, "utf8") : Buffer.from(opts.stdin);
    const b64 = bytes.toString("base64");
    for (let i = 0; i < b64.length; i += STDIN_CHUNK_CHARS) stdinChunks.push(b64.slice(i, i + STDIN_CHUNK_CHARS));
  }
  const timeout = opts.timeoutMs === undefined ? "" : (Math.max(1, opts.timeoutMs) / 1000).toFixed(3);
  return [
    "bash",
    "-c",
    EXEC_WRAPPER_SCRIPT,
    "vm-exec",
    opts.cwd ?? "",
    opts.user ?? "",
    timeout,
    String(env.length),
    String(stdinChunks.length),
    killId ?? "",
    ...env,
    ...stdinChunks,
    ...argv,
  ];
}

/** True when a wrapped command's result means its timeout fired (and removes the marker). */
export function takeTimeoutMarker(stderr: string): { timedOut: boolean; stderr: string } {
  if (!stderr.endsWith(EXEC_TIMEOUT_MARKER)) return { timedOut: false, stderr };
  return { timedOut: true, stderr: stderr.slice(0, -EXEC_TIMEOUT_MARKER.length) };
}
