import { SSH_COMMAND_SH } from "../sh/ssh-command.sh.js";

/**
 * How the emulator runs an exec's `command`.
 * - `"ssh"` (the default): as Morph's spec says, "via SSH": the elements are joined with spaces
 *   and the line runs in the user's login shell. The official SDK's integration tests send a
 *   one-element shell line (`["echo 'hello world' && echo second"]`) and expect both lines.
 * - `"argv"`: the elements are the program and its arguments, with no shell, except a
 *   one-element command, which is a shell line (what the SDK's tests need; a server without that
 *   would fail them, so pure argv is not a candidate for Morph Cloud).
 */
export type ExecMode = "ssh" | "argv";

/** The backend argv that runs `command` under `mode`. */
export function backendArgv(command: readonly string[], mode: ExecMode): string[] {
  if (mode === "argv" && command.length > 1) return [...command];
  return ["sh", "-c", SSH_COMMAND_SH, "vm-sshd", command.join(" ")];
}

// Our provider's line: 'bash' '-c' '<script>' '<$0>' …, each word single-quoted.
const QUOTED_SCRIPT = /^'(?:bash|sh)' '-c' '(?:[^']|'\\'')*' '([^']*)'/;

/**
 * What an exec runs, for the request log: `$0` of a `bash -c` / `sh -c` script (as an argv or as
 * the provider's quoted line), else the first word.
 */
export function programOf(command: readonly string[]): string | undefined {
  if ((command[0] === "bash" || command[0] === "sh") && command[1] === "-c") return command[3];
  const line = command.join(" ");
  return QUOTED_SCRIPT.exec(line)?.[1] ?? /^'?([^\s']*)/.exec(line)?.[1];
}
