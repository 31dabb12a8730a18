import { EXEC_KILL_SCRIPT } from "@vm/provider-kit/internal";
/**
 * Fixed shell scripts run inside containers. User values only ever arrive as positional
 * arguments ("$1"…), never spliced into script text. The scripts are ./sh/*.sh, embedded at
 * build time (scripts/embed-shell.mjs).
 */
import { EXEC_WRAPPER_SH } from "./sh/exec-wrapper.sh.js";
import { INIT_SH } from "./sh/init.sh.js";

/**
 * Wraps every exec: enters `cwd` (as the exec's user: the engine has switched to it already,
 * so a directory that user may not search is refused, never entered as root first), then runs
 * argv through `env` (so a name like `echo` runs the program, not a shell builtin). The command
 * is tagged with `VM_EXEC_ID` through the exec's `Env`; a kill finds it (and this wrapper, the
 * session leader) with `@vm/provider-kit`'s `EXEC_KILL_SCRIPT`, run as root, never through a
 * file the command could write.
 *
 * With a watchdog time, a background watchdog (its output on /dev/null, so it holds nothing)
 * runs the kill script at that time: `timeoutMs` is enforced in the container too, so a
 * client that dies during an exec does not leave the command running. The client's own kill
 * comes first (the watchdog time is `timeoutMs` plus `WATCHDOG_GRACE_MS`); the watchdog is
 * stopped when the command is done. Not run as root, the watchdog reaches what its user may
 * signal, which is all the command itself could start (setuid programs aside).
 *
 * After the command exits, the wrapper stays while another process (a background child) still
 * has its stdout or stderr open, polling /proc only then: the engine stops reading an exec's
 * output about 2 s after its process exits, so without this a child's later output would be
 * cut off at a random point. Then it exits with the command's exact status. A `timeoutMs` or
 * `signal` ends the wait (and kills the child with the rest).
 *
 * Exit 125 with only `startFailureMarker("cwd", VM_EXEC_ID)` (`@vm/provider-kit`) on stderr:
 * `cwd` could not be entered.
 *
 * argv: `sh -c EXEC_WRAPPER vm-exec <cwd or ""> <watchdog seconds or ""> <kill script or ""> <argv...>`
 * (see `execWrapperArgv`). Exported because its bytes count against ARG_MAX with every
 * command's (see `ARG_MAX_BYTES`).
 */
export const EXEC_WRAPPER = EXEC_WRAPPER_SH;

/**
 * How long after `timeoutMs` the in-container watchdog of `EXEC_WRAPPER` kills a command the
 * client did not (a client that died, or an engine that no longer answered it): 2 s.
 */
export const WATCHDOG_GRACE_MS = 2_000;

/** The engine's `Cmd` for one exec: `EXEC_WRAPPER`, its arguments, then the command's argv. */
export function execWrapperArgv(argv: readonly string[], options: { cwd?: string | undefined; timeoutMs?: number | undefined }): string[] {
  const watchdog = options.timeoutMs === undefined ? "" : ((options.timeoutMs + WATCHDOG_GRACE_MS) / 1000).toFixed(3);
  return ["sh", "-c", EXEC_WRAPPER, "vm-exec", options.cwd ?? "", watchdog, watchdog === "" ? "" : EXEC_KILL_SCRIPT, ...argv];
}

/** Printed by the init once PM2 processes are resurrected; `boot` waits for it. */
export const READY_MARKER = "vm-init-ready";

/** Where sh/init.sh takes the resurrect snippet. */
const RESURRECT_SLOT = "__VM_RESURRECT__";

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
  // A function replacer: "$&" or "$1" in the snippet stay as they are.
  return INIT_SH.replace(RESURRECT_SLOT, () => resurrectScript);
}
