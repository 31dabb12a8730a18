import type { ExecOptions } from "@vm/core";

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
 * With a kill id, the wrapper records its pid in `$TMPDIR/.vm-exec-<uid>/<id>.pid` and
 * exports `VM_EXEC_ID=<id>` to the command, so `EXEC_KILL_SCRIPT` (a second exec) can find
 * the command and everything it started, even after they were re-parented or moved to
 * another process group (coreutils `timeout` does that). If the kill came first (the exec
 * request was slow to arrive), its `<id>.cancel` file stops the command from starting.
 *
 * Exit codes: the command's own; 124 with the marker line on stderr when the timeout fired;
 * 125 when the working directory or user does not exist (the reason on stderr); 130 when it
 * was cancelled before it started.
 */
export const EXEC_WRAPPER_SCRIPT = [
  "set -u",
  'cwd=$1 user=$2 limit=$3 nenv=$4 nin=$5 xid=$6; shift 6',
  'if [ -n "$xid" ]; then',
  // The pid goes first, the cancel check second; the killer does the reverse, so one of them always sees the other.
  // Every exec comes here: a test before mkdir saves a fork (≈2.5 ms of a ≈6 ms wrapper).
  '  xdir=${TMPDIR:-/tmp}/.vm-exec-$EUID; [ -d "$xdir" ] || mkdir -p -m 700 -- "$xdir" 2>/dev/null',
  '  if [ -d "$xdir" ] && [ -O "$xdir" ] && [ ! -L "$xdir" ]; then',
  '    printf "%s" "$$" > "$xdir/$xid.pid" 2>/dev/null; trap \'rm -f -- "$xdir/$xid.pid"\' EXIT',
  '    if [ -e "$xdir/$xid.cancel" ]; then rm -f -- "$xdir/$xid.cancel"; printf "vm-exec: cancelled before it started\\n" >&2; exit 130; fi',
  "  fi",
  '  export VM_EXEC_ID="$xid"',
  "fi",
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

/**
 * Kills what a wrapped exec started, from a second exec: `["bash", "-c", EXEC_KILL_SCRIPT,
 * "vm-kill", id]`. It first leaves `<id>.cancel` (so a command that has not started yet never
 * does), then sends SIGTERM to the wrapper (its pid file, checked against its command line)
 * and to every process whose environment has `VM_EXEC_ID=<id>`, waits up to 1 s for them to
 * exit, and sends SIGKILL to what is left. Always exits 0. Cancel files older than an hour
 * (of commands that had already finished) are removed. Needs bash, GNU grep (`-z`) and find.
 *
 * @example
 * ```ts
 * import { EXEC_KILL_SCRIPT } from "@vm/provider-morph";
 * const killId = crypto.randomUUID();
 * const command = ["bash", "-c", EXEC_KILL_SCRIPT, "vm-kill", killId]; // = buildExecKillCommand(killId)
 * ```
 */
export const EXEC_KILL_SCRIPT = [
  "set -u",
  'xid=$1; xdir=${TMPDIR:-/tmp}/.vm-exec-$EUID; mkdir -p -m 700 -- "$xdir" 2>/dev/null',
  'safe=0; if [ -d "$xdir" ] && [ -O "$xdir" ] && [ ! -L "$xdir" ]; then safe=1; : > "$xdir/$xid.cancel"; fi',
  "targets() {",
  '  if [ "$safe" = 1 ] && [ -s "$xdir/$xid.pid" ]; then',
  '    p=$(cat -- "$xdir/$xid.pid" 2>/dev/null)',
  // Only a wrapper whose own argv carries the id: a stale pid file never hits a reused pid.
  '    if [[ "$p" =~ ^[0-9]+$ ]] && tr "\\0" "\\n" < "/proc/$p/cmdline" 2>/dev/null | grep -qxF -- "$xid"; then echo "$p"; fi',
  "  fi",
  '  grep -lzxF -- "VM_EXEC_ID=$xid" /proc/[0-9]*/environ 2>/dev/null | while IFS=/ read -r _ _ q _; do [ "$q" != "$$" ] && echo "$q"; done',
  "}",
  "t=$(targets); found=$t",
  '[ -n "$t" ] && kill -TERM $t 2>/dev/null',
  'i=0; while [ -n "$t" ] && [ "$i" -lt 10 ]; do sleep 0.1; t=$(targets); i=$((i+1)); done',
  '[ -n "$t" ] && kill -KILL $t 2>/dev/null',
  // A command that was found has seen or will never need its cancel file; one not found may still start.
  'if [ "$safe" = 1 ]; then [ -n "$found" ] && rm -f -- "$xdir/$xid.cancel"; rm -f -- "$xdir/$xid.pid"; find "$xdir" -maxdepth 1 -name "*.cancel" -mmin +60 -delete 2>/dev/null; fi',
  "exit 0",
].join("\n");

/**
 * The argv of the exec that kills a wrapped command started with `killId`.
 *
 * @example
 * ```ts
 * import { buildExecKillCommand } from "@vm/provider-morph";
 * buildExecKillCommand("0b7c…"); // ["bash", "-c", EXEC_KILL_SCRIPT, "vm-kill", "0b7c…"]
 * ```
 */
export function buildExecKillCommand(killId: string): string[] {
  return ["bash", "-c", EXEC_KILL_SCRIPT, "vm-kill", killId];
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
  if (killId !== undefined && !/^[A-Za-z0-9-]{1,64}$/.test(killId)) throw new TypeError("killId must be 1-64 letters, digits or dashes");
  if (!needsWrapper(options) && killId === undefined) return [...argv];
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
