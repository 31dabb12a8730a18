/**
 * Fixed shell scripts run inside containers. User values only ever arrive as positional
 * arguments ("$1"…), never spliced into script text.
 */

/**
 * Wraps every exec: records its pid (it is the session and process-group leader, because
 * the engine starts each exec in a new session) in a pid file so a timeout, abort or
 * output overflow can kill the whole group from a second exec, runs argv through `env`
 * (so a name like `echo` runs the program, not a shell builtin), then removes the pid file
 * and exits with the command's exact status.
 *
 * argv: sh -c EXEC_WRAPPER vm-exec <pidfile> <argv...>. Exported because its bytes count
 * against ARG_MAX with every command's (see `ARG_MAX_BYTES`).
 *
 * @example
 * ```ts
 * import { EXEC_WRAPPER } from "@vm/provider-docker";
 * const argv = ["sh", "-c", EXEC_WRAPPER, "vm-exec", "/tmp/.vm-exec-1.pid", "ls", "-l"];
 * ```
 */
export const EXEC_WRAPPER = '{ echo $$ > "$1"; } 2>/dev/null; f=$1; shift; env -- "$@"; r=$?; rm -f "$f"; exit $r';

/**
 * Kills the process group recorded by EXEC_WRAPPER (then the pid alone, if the group is
 * gone), waiting up to 5 s for the pid file to appear (the caller only runs it once the engine has started the command).
 *
 * argv: sh -c EXEC_KILLER vm-kill <pidfile> <signal>
 */
export const EXEC_KILLER =
  'i=0; while [ ! -s "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; p=$(cat "$1" 2>/dev/null); rm -f "$1"; [ -n "$p" ] || exit 0; kill -s "$2" -- "-$p" 2>/dev/null || kill -s "$2" "$p" 2>/dev/null; exit 0';

/** Printed by the init once PM2 processes are resurrected; `boot` waits for it. */
export const READY_MARKER = "vm-init-ready";

/**
 * The container's main process (PID 1 is the engine's `docker-init`, so zombies are reaped
 * and SIGTERM works). It computes the TTL deadline first, runs the PM2 resurrect snippet
 * (which never fails the boot), announces readiness, then sleeps until the deadline (TTL)
 * and exits — the container then stops, or is removed by the engine when it was created
 * with AutoRemove — or sleeps forever.
 *
 * argv: sh -c buildInitScript(resurrect) vm-init <ttlSeconds or "">
 */
export function buildInitScript(resurrectScript: string): string {
  return [
    'if [ -n "$1" ]; then vm_deadline=$(( $(date +%s) + $1 )); fi',
    `( ${resurrectScript}\n) >/dev/null 2>&1 </dev/null || true`,
    `echo ${READY_MARKER}`,
    'if [ -n "$1" ]; then vm_now=$(date +%s); if [ "$vm_now" -lt "$vm_deadline" ]; then sleep $(( vm_deadline - vm_now )); fi; exit 0; fi',
    "while :; do sleep 86400; done",
  ].join("\n");
}
