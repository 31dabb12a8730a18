import { randomUUID } from "node:crypto";
import { EXEC_KILL_SH } from "./sh/exec-kill.sh.js";

/**
 * The one kill protocol every provider uses for `exec`/`execStream` after a timeout, an abort,
 * a stream closed early or an output cap.
 *
 * Tag: the provider puts `VM_EXEC_ID=<id>` in the command's environment (Docker through the
 * exec's `Env`, Morph through its wrapper). Every process the command starts inherits it, and
 * no process can change another user's environment, so only the command's own descendants
 * carry it. The kill (`EXEC_KILL_SCRIPT`, run as root in a second exec) finds its targets from
 * that tag, never from a pid a command could have written somewhere.
 */
export const EXEC_TAG_VAR = "VM_EXEC_ID";

/** Letters, digits and dashes only: the id reaches scripts as `$1` and file names. */
const EXEC_ID_RE = /^[A-Za-z0-9-]{1,64}$/;

/**
 * A new random exec id for the tag (`VM_EXEC_ID=<id>`).
 */
export function newExecId(): string {
  return randomUUID();
}

/** Whether `id` is a valid exec id (1-64 letters, digits or dashes). */
export function isExecId(id: unknown): id is string {
  return typeof id === "string" && EXEC_ID_RE.test(id);
}

/** The environment entry that tags a command: `VM_EXEC_ID=<id>`. */
export function execTagEntry(id: string): string {
  if (!isExecId(id)) throw new TypeError("an exec id is 1-64 letters, digits or dashes");
  return `${EXEC_TAG_VAR}=${id}`;
}

/**
 * Root-only directory where a wrapper that sets the tag itself (Morph) keeps its pid and where
 * the kill leaves a "cancel before start" file. `/run` is root-owned and not world-writable,
 * so no command running as another user can create, replace or write into it.
 */
export const EXEC_RUN_DIR = "/run/vm-exec";

/**
 * Kills one tagged command and everything it started. Run it as root (uid 0) in a second exec:
 * `["sh", "-c", EXEC_KILL_SCRIPT, "vm-kill", id, runDir]` (see `buildExecKillArgv`).
 *
 * Targets, re-computed on every round from `/proc` (never from a pid a command could write):
 * - every process whose environment holds exactly `VM_EXEC_ID=<id>`;
 * - every member of a session or process group led by such a process (a descendant that
 *   cleared its environment but stayed in the session);
 * - with a `runDir` (a wrapper that exports the tag itself and so does not carry it), the
 *   wrapper whose pid it recorded in `<runDir>/<id>.pid`, only if that directory is a real,
 *   root-owned directory (not a symlink) and the pid's command line holds the id and
 *   `vm-exec`; its session is not widened to (it may be the host's).
 *
 * Run as another user than root, it finds and signals that user's processes only.
 *
 * Never itself, its parent, pid 1 or a zombie. Right before each signal it re-reads
 * `/proc/<pid>/stat` and signals only when the start time is the one it found (a pid reused
 * meanwhile is left alone). It sends SIGTERM, polls `/proc` for up to ~1 s, then sends SIGKILL
 * in rounds until nothing is left (bounded), so children forked during the kill die too.
 *
 * With a `runDir` it first leaves `<runDir>/<id>.cancel` so a command whose exec request
 * arrives later never starts; the cancel file is removed once a target was found, and cancel
 * files older than an hour are swept. Always exits 0. Needs `sh`, GNU grep (`-z`), `/proc` and,
 * for commands run as another user, util-linux `setpriv` (see the tag scan below). A process whose
 * environment the kernel hides (non-dumpable, e.g. a setuid program) is found only through its
 * session or process group.
 *
 * The script is ./sh/exec-kill.sh, embedded at build time (scripts/embed-shell.mjs).
 */
export const EXEC_KILL_SCRIPT = EXEC_KILL_SH;

/**
 * The argv of the root exec that kills the command tagged with `id`; `runDir` (default none)
 * enables the pid and cancel files of a wrapper that sets the tag itself.
 */
export function buildExecKillArgv(id: string, runDir = ""): string[] {
  if (!isExecId(id)) throw new TypeError("an exec id is 1-64 letters, digits or dashes");
  return ["sh", "-c", EXEC_KILL_SCRIPT, "vm-kill", id, runDir];
}
