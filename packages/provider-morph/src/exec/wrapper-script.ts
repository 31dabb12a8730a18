import type { ExecOptions } from "@vm/core";

/**
 * Morph's exec takes only `command` (an argv). cwd, env, user, stdin and a timeout are
 * applied by this FIXED bash script; every user value reaches it as a positional argument,
 * never spliced into the script text.
 *
 * Positional layout: `$1` cwd ("" = unchanged), `$2` user ("" = unchanged), `$3` timeout in
 * seconds ("" = none), `$4` number of env entries N, `$5` number of stdin chunks M, then N
 * `NAME=VALUE` entries, then M base64 chunks of stdin, then the command's argv.
 *
 * Exit codes: the command's own; 124 with the marker line on stderr when the timeout fired;
 * 125 when the working directory or user does not exist (the reason on stderr).
 */
export const EXEC_WRAPPER_SCRIPT = [
  "set -u",
  'cwd=$1 user=$2 limit=$3 nenv=$4 nin=$5; shift 5',
  "envs=(); i=0",
  'while [ "$i" -lt "$nenv" ]; do envs+=("$1"); shift; i=$((i+1)); done',
  "chunks=(); i=0",
  'while [ "$i" -lt "$nin" ]; do chunks+=("$1"); shift; i=$((i+1)); done',
  'if [ -n "$cwd" ]; then cd -- "$cwd" 2>/dev/null || { printf "vm-exec: working directory %s does not exist\\n" "$cwd" >&2; exit 125; }; fi',
  'for kv in "${envs[@]}"; do export "$kv"; done',
  "run=()",
  'if [ -n "$user" ]; then',
  // runuser wants a name: a numeric uid is mapped to its name, or run with setpriv when it has none.
  '  if [[ "$user" =~ ^[0-9]+$ ]]; then name=$(getent passwd "$user"); name=${name%%:*}; else',
  '    id -u -- "$user" >/dev/null 2>&1 || { printf "vm-exec: no such user %s\\n" "$user" >&2; exit 125; }; name=$user',
  "  fi",
  '  if [ -n "$name" ]; then run=(runuser -u "$name" --); else run=(setpriv --reuid="$user" --regid="$user" --clear-groups); fi',
  "fi",
  'if [ -n "$limit" ]; then run=(timeout -k 2 "$limit" "${run[@]}"); fi',
  "start=${EPOCHREALTIME/[.,]/}",
  'if [ "$nin" -gt 0 ]; then printf "%s" "${chunks[@]}" | base64 -d | "${run[@]}" "$@"; rc=$?; else "${run[@]}" "$@" </dev/null; rc=$?; fi',
  'if [ -n "$limit" ] && [ "$rc" -eq 124 ]; then',
  "  now=${EPOCHREALTIME/[.,]/}",
  '  if [ $(( (now - start) / 1000 )) -ge $(( ${limit%.*} * 1000 )) ]; then printf "\\nvm-exec: timed out\\n" >&2; fi',
  "fi",
  'exit "$rc"',
].join("\n");

/** The marker the wrapper prints on stderr when its timeout fired. */
export const EXEC_TIMEOUT_MARKER = "\nvm-exec: timed out\n";

/** Largest base64 stdin chunk per argument: Linux caps one argument at 128 KiB. */
export const STDIN_CHUNK_CHARS = 96 * 1024;

/** Whether `options` needs the wrapper (otherwise argv is sent as is). */
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
 * Builds the `command` argv Morph runs: the argv itself when no option needs the wrapper,
 * else `["bash", "-c", EXEC_WRAPPER_SCRIPT, "vm-exec", cwd, user, timeout, N, M, ...env, ...stdin, ...argv]`.
 *
 * @example
 * ```ts
 * import { buildExecCommand } from "@vm/provider-morph";
 * buildExecCommand(["ls"], { cwd: "/tmp" });
 * // ["bash", "-c", <script>, "vm-exec", "/tmp", "", "", "0", "0", "ls"]
 * ```
 */
export function buildExecCommand(argv: readonly string[], options?: ExecOptions): string[] {
  if (!needsWrapper(options)) return [...argv];
  const opts = options ?? {};
  const env = Object.entries(opts.env ?? {}).map(([name, value]) => `${name}=${value}`);
  const stdinChunks: string[] = [];
  if (opts.stdin !== undefined) {
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
