import { createHash } from "node:crypto";
import { VMError, type ErrorContext } from "@vm/provider-kit";

/** Longest process name we accept; PM2 has no limit, but log file names do. */
export const MAX_NAME_LENGTH = 100;

// Only characters PM2 keeps when it derives log file names: it rewrites everything outside
// [A-Za-z0-9.-] to "-", so "my app", "my_app" and "my-app" would share one log file.
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

/**
 * The log-file stem PM2 derives from a name (`lib/Common.js`: `name.replace(/[^a-zA-Z0-9.-]/g, "-")`).
 *
 * @example
 * ```ts
 * logStem("my_app"); // "my-app"
 * ```
 */
export function logStem(name: string): string {
  return name.replace(/[^a-zA-Z0-9.-]/g, "-");
}

/**
 * Key under which two names would share log files: PM2's rewrite, then case folded,
 * because a VM's log directory may sit on a case-insensitive filesystem.
 */
export function logCollisionKey(name: string): string {
  return logStem(name).toLowerCase();
}

/**
 * Names PM2 itself would overwrite. PM2 gives every process an environment variable, and a field
 * of its app config, named after the process, set to its module config (`"{}"`:
 * `Modularizer.getAdditionalConf`). A process named like a config field PM2 reads loses that
 * field: `args` runs with args `"{}"` and errors, `name` is listed as `"{}"`, `uid`/`gid` never
 * start, `watch` turns watching on. One named like an environment variable every process
 * inherits gets it replaced: `PATH` and `HOME` become `"{}"`. These are the field names of a
 * real `pm2_env` (pm2 7.0.4; `packages/pm2/test` checks the list against it), PM2's app schema
 * and `pm2 start` options that pass `NAME_PATTERN`, and the standard POSIX variables. A name
 * equal to one of the call's own env keys is refused by `start` too.
 */
export const PM2_RESERVED_NAMES: ReadonlySet<string> = new Set([
  // pm2_env fields and app-schema keys (only those a name could spell)
  "args", "automation", "autorestart", "autostart", "container", "cwd", "daemon", "dist", "dockerdaemon", "env", "force", "fresh", "gid", "help",
  "id", "image-name", "instances", "interpreter", "io", "monit", "name", "namespace", "node-version", "pid", "pmx", "port", "script", "status",
  "time", "trace", "treekill", "uid", "user", "username", "v8", "version", "vizion", "watch", "windowsHide", "write",
  // environment variables a process inherits and needs
  "HOME", "HOSTNAME", "LANG", "LOGNAME", "PATH", "PWD", "SHELL", "TERM", "TMPDIR", "TZ", "USER",
]);

/**
 * Rejects process names PM2 treats specially or that break its log files: empty, longer
 * than 100 characters, anything `isNaN()` calls a number (`"12"`, `"1e3"`, `"0x1f"`,
 * `"Infinity"` — PM2 would read them as ids), `"all"` in any case, `PM2_RESERVED_NAMES`, and every character PM2
 * rewrites in log file names (`_`, spaces, `/`, NUL, quotes, unicode, …), so two accepted
 * names never share a log file. Names that differ only by case are distinct on Linux; `start`
 * still refuses one that case-folds to a different running name (see `logCollisionKey`).
 */
export function assertProcessName(name: unknown, ctx: ErrorContext): asserts name is string {
  const fail = (why: string): never => {
    throw new VMError("INVALID_ARGUMENT", `process name ${why}`, ctx);
  };
  if (typeof name !== "string") return fail("must be a string");
  if (name.trim().length === 0) return fail("must not be empty");
  if (name.length > MAX_NAME_LENGTH) return fail(`must be at most ${MAX_NAME_LENGTH} characters`);
  if (!isNaN(Number(name))) return fail(`${JSON.stringify(name)} is numeric; PM2 would treat it as a process id`);
  if (name.toLowerCase() === "all") return fail(`"all" is reserved by PM2`);
  if (PM2_RESERVED_NAMES.has(name)) {
    return fail(`${JSON.stringify(name)} would be overwritten by PM2: it sets a config field and an environment variable named after each process to "{}" (see PM2_RESERVED_NAMES)`);
  }
  if (!NAME_PATTERN.test(name)) {
    return fail(
      `${JSON.stringify(name.slice(0, 80))} may only contain letters, digits, "." and "-" and must start with a letter or digit ` +
        "(PM2 rewrites other characters in log file names, so different names would share logs)",
    );
  }
}

/**
 * Rejects a target that is neither a valid process name nor a PM2 id (a whole number ≥ 0).
 * Returns the form the CLI expects.
 */
export function assertTarget(nameOrId: unknown, ctx: ErrorContext): string | number {
  if (typeof nameOrId === "number") {
    if (!Number.isSafeInteger(nameOrId) || nameOrId < 0) {
      throw new VMError("INVALID_ARGUMENT", `process id must be a whole number ≥ 0, got ${String(nameOrId)}`, ctx);
    }
    return nameOrId;
  }
  if (typeof nameOrId === "string" && /^[0-9]{1,15}$/.test(nameOrId)) return Number(nameOrId);
  assertProcessName(nameOrId, ctx);
  return nameOrId;
}

function sanitize(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").replace(/-+$/, "").slice(0, 60);
}

/**
 * Name PM2 would pick (script file name without extension), made valid; shell commands
 * get `sh-<8 hex of the command's sha256>` so two different commands do not replace each other.
 */
export function defaultProcessName(script: string, shell: boolean): string {
  if (shell) return `sh-${createHash("sha256").update(script).digest("hex").slice(0, 8)}`;
  const base = script.split("/").filter(Boolean).pop() ?? "";
  const stem = sanitize(base.replace(/\.[^.]+$/, ""));
  const candidate = stem || "app";
  return !isNaN(Number(candidate)) || candidate.toLowerCase() === "all" || PM2_RESERVED_NAMES.has(candidate) ? `app-${candidate}` : candidate;
}
