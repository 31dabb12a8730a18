import type { ExecOptions } from "@vm/core";
import { EXEC_KILL_SCRIPT, EXEC_RUN_DIR, buildExecKillArgv, isExecId } from "@vm/provider-kit/internal";

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
 * 125 when the working directory or user does not exist (the reason on stderr); 130 when it
 * was cancelled before it started.
 */
export const EXEC_WRAPPER_SCRIPT = [
  "set -u",
  'cwd=$1 user=$2 limit=$3 nenv=$4 nin=$5 xid=$6; shift 6',
  'if [ -n "$xid" ]; then',
  // The pid goes first, the cancel check second; the killer does the reverse, so one of them always sees the other.
  // Every exec comes here: a test before mkdir saves a fork (≈2.5 ms of a ≈6 ms wrapper).
  `  xdir=${EXEC_RUN_DIR}; [ -d "$xdir" ] || mkdir -m 700 -- "$xdir" 2>/dev/null`,
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
  'if [ -n "$limit" ]; then',
  '  lim=$(( ${limit%.*} * 1000000 + 10#${limit#*.} * 1000 )); to=',
  // 137: timeout's -k KILL came too (runuser waits 2 s for its shell after a TERM).
  '  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then [ $(( ${EPOCHREALTIME/[.,]/} - start )) -ge "$lim" ] && to=1 rc=124; fi',
  // A background child holding our stdout/stderr holds the result until the limit. Our
  // ancestors hold them too (the shell that runs us) and do not count. No redirection on the
  // scan loop: it would change the very fds it compares with.
  // Only a pipe or socket can be held (a file or /dev/null is shared by unrelated processes),
  // and only by a writer (flags end in 1 or 2): the pipe's reader, if visible, is not ours.
  '  o=; for n in 1 2; do { [ -p /proc/$$/fd/$n ] || [ -S /proc/$$/fd/$n ]; } && o="$o /proc/$$/fd/$n"; done',
  '  if [ -z "$to" ] && [ -n "$o" ]; then',
  '    anc=" $$ "; p=$PPID; while [ "${p:-0}" -gt 1 ] && IFS= read -r s < "/proc/$p/stat"; do anc="$anc$p "; s=${s##*) }; set -f; set -- $s; set +f; p=$2; done 2>/dev/null',
  '    while :; do h=; for f in /proc/[0-9]*/fd/1 /proc/[0-9]*/fd/2; do q=${f#/proc/}; q=${q%%/*}; [[ "$anc" == *" $q "* ]] && continue; for t in $o; do [ "$f" -ef "$t" ] || continue; fl=; { read -r _ _; read -r _ fl; } < "/proc/$q/fdinfo/${f##*/}"; [[ "$fl" == *[12] ]] && h="$h $q"; break; done; done',
  '      [ -z "$h" ] && break',
  '      if [ $(( ${EPOCHREALTIME/[.,]/} - start )) -ge "$lim" ]; then kill -KILL $h 2>/dev/null; to=1; rc=124; break; fi',
  "      sleep 0.1",
  "    done",
  "  fi",
  '  [ -n "$to" ] && printf "\\nvm-exec: timed out\\n" >&2',
  "fi",
  'exit "$rc"',
].join("\n");

/**
 * The argv of the exec that kills a wrapped command started with `killId`: `@vm/provider-kit`'s
 * one kill protocol (`EXEC_KILL_SCRIPT`, re-exported here), with the wrapper's root-only
 * `EXEC_RUN_DIR` for its pid and cancel files.
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
 */
export function buildExecCommand(argv: readonly string[], options?: ExecOptions, killId?: string): string[] {
  if (killId !== undefined && !isExecId(killId)) throw new TypeError("killId must be 1-64 letters, digits or dashes");
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
