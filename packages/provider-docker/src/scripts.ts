/**
 * Fixed shell scripts run inside containers. User values only ever arrive as positional
 * arguments ("$1"…), never spliced into script text. The scripts are ./sh/*.sh, embedded at
 * build time (scripts/embed-shell.mjs).
 */
import { EXEC_WRAPPER_SH } from "./sh/exec-wrapper.sh.js";
import { INIT_SH } from "./sh/init.sh.js";

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
export const EXEC_WRAPPER = EXEC_WRAPPER_SH;

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
