/**
 * Fixed shell scripts run inside containers. User values only ever arrive as positional
 * arguments ("$1"…), never spliced into script text.
 */

/**
 * Wraps every exec: runs argv through `env` (so a name like `echo` runs the program, not a
 * shell builtin). The command is tagged with `VM_EXEC_ID` through the exec's `Env`; a kill
 * finds it (and this wrapper, the session leader) with `@vm/provider-kit`'s
 * `EXEC_KILL_SCRIPT`, run as root, never through a file the command could write.
 *
 * After the command exits, the wrapper stays while another process (a background child) still
 * has its stdout or stderr open, polling /proc only then: the engine stops reading an exec's
 * output about 2 s after its process exits, so without this a child's later output would be
 * cut off at a random point. Then it exits with the command's exact status. A `timeoutMs` or
 * `signal` ends the wait (and kills the child with the rest).
 *
 * argv: sh -c EXEC_WRAPPER vm-exec <argv...>. Exported because its bytes count against
 * ARG_MAX with every command's (see `ARG_MAX_BYTES`).
 */
export const EXEC_WRAPPER = [
  'env -- "$@"; r=$?',
  // Only a pipe or socket can be held: a file or /dev/null is shared by unrelated processes.
  'o=; for n in 1 2; do { [ -p /proc/$$/fd/$n ] || [ -S /proc/$$/fd/$n ]; } && o="$o /proc/$$/fd/$n"; done',
  'while [ -n "$o" ]; do h=; for f in /proc/[0-9]*/fd/1 /proc/[0-9]*/fd/2; do case $f in /proc/$$/*) continue;; esac; for t in $o; do [ "$f" -ef "$t" ] && h=1; done; [ -n "$h" ] && break; done; [ -z "$h" ] && break; sleep 0.1; done',
  "exit $r",
].join("\n");

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
