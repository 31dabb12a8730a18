import type { ProcessConfig, ProcessStartOptions } from "@vm/core";
import { VMError, assertAbsolutePath, assertEnv, assertInteger, readEnv, readOptionsObject, type ErrorContext } from "@vm/provider-kit";
import { assertProcessName, defaultProcessName } from "./names.js";

/** Most workers one app may ask for; PM2 itself has no cap, a VM has. */
export const MAX_INSTANCES = 256;

/** The shell that runs a command given as text (`start(id, "while true; do …; done")`). */
export const SHELL = "/bin/sh";

/** One app entry of a PM2 ecosystem file, exactly as written into the VM. */
export type EcosystemApp = Record<string, unknown> & { name: string; script: string };

/** What `start` resolved from its arguments. */
export interface ResolvedStart {
  name: string;
  app: EcosystemApp;
  /** The command was shell text and runs under `/bin/sh -c`. */
  shell: boolean;
}

const CONFIG_KEYS = new Set<keyof ProcessConfig>([
  "name",
  "script",
  "args",
  "cwd",
  "env",
  "instances",
  "exec_mode",
  "interpreter",
  "interpreter_args",
  "node_args",
  "autorestart",
  "max_memory_restart",
  "max_restarts",
  "min_uptime",
  "restart_delay",
  "exp_backoff_restart_delay",
  "kill_timeout",
  "cron_restart",
  "watch",
  "ignore_watch",
  "time",
  "merge_logs",
  "namespace",
  "wait_ready",
  "listen_timeout",
  "shutdown_with_message",
  "source_map_support",
  "stop_exit_codes",
]);

const BOOLEAN_KEYS = ["autorestart", "time", "merge_logs", "wait_ready", "shutdown_with_message", "source_map_support"] as const;
const MS_KEYS = ["max_restarts", "restart_delay", "exp_backoff_restart_delay", "kill_timeout", "listen_timeout"] as const;
const LIST_KEYS = ["args", "interpreter_args", "node_args", "ignore_watch"] as const;

// Text that only means something to a shell: whitespace, separators, quotes, expansions, globs.
const SHELL_CHARACTERS = /[\s;&|<>()$`\\"'*?[\]{}~!#]/;

/**
 * True when `command` is shell text rather than a path or a bare program name.
 *
 * @example
 * ```ts
 * looksLikeShell("while true; do echo hi; sleep 1; done"); // true
 * looksLikeShell("/app/server.js"); // false
 * ```
 */
export function looksLikeShell(command: string): boolean {
  return SHELL_CHARACTERS.test(command);
}

function invalid(ctx: ErrorContext, message: string): VMError {
  return new VMError("INVALID_ARGUMENT", message, ctx);
}

function assertText(value: unknown, ctx: ErrorContext, what: string): asserts value is string {
  if (typeof value !== "string" || value.length === 0 || value.includes("\0")) {
    throw invalid(ctx, `${what} must be a non-empty string without NUL bytes`);
  }
}

function assertList(value: unknown, ctx: ErrorContext, what: string): asserts value is readonly string[] {
  if (!Array.isArray(value)) throw invalid(ctx, `${what} must be an array of strings`);
  // A plain loop, not forEach: forEach skips the holes of a sparse array, which are no strings.
  for (let index = 0; index < value.length; index++) {
    const item: unknown = value[index];
    if (typeof item !== "string" || item.includes("\0")) throw invalid(ctx, `${what}[${index}] must be a string without NUL bytes`);
  }
}

/**
 * Checks every field of a (partial) process config and rejects unknown keys, so nothing the
 * caller did not mean (e.g. `out_file`, `filter_env`) reaches PM2. Env values never appear in
 * the errors.
 */
export function assertStartOptions(options: unknown, ctx: ErrorContext): asserts options is ProcessStartOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) throw invalid(ctx, "options must be an object");
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!CONFIG_KEYS.has(key as keyof ProcessConfig)) throw invalid(ctx, `unknown process option ${JSON.stringify(key.slice(0, 60))}`);
  }
  if (o.name !== undefined) assertProcessName(o.name, ctx);
  if (o.script !== undefined) assertText(o.script, ctx, "script");
  if (o.interpreter !== undefined) assertText(o.interpreter, ctx, "interpreter");
  if (o.cwd !== undefined) assertAbsolutePath(o.cwd, ctx, "cwd");
  if (o.env !== undefined) {
    assertEnv(o.env, ctx);
    // JSON.parse would create an own "__proto__" key, but PM2 evaluates the file as a JS object
    // literal, where that key sets the prototype and the variable silently disappears.
    if (Object.prototype.hasOwnProperty.call(o.env, "__proto__")) throw invalid(ctx, `env name "__proto__" is not allowed`);
  }
  for (const key of LIST_KEYS) if (o[key] !== undefined) assertList(o[key], ctx, key);
  for (const key of BOOLEAN_KEYS) {
    if (o[key] !== undefined && typeof o[key] !== "boolean") throw invalid(ctx, `${key} must be true or false`);
  }
  for (const key of MS_KEYS) if (o[key] !== undefined) assertInteger(o[key], ctx, key, 0);
  if (o.instances !== undefined && o.instances !== "max") assertInteger(o.instances, ctx, "instances", 1, MAX_INSTANCES);
  if (o.exec_mode !== undefined && o.exec_mode !== "fork" && o.exec_mode !== "cluster") {
    throw invalid(ctx, `exec_mode must be "fork" or "cluster"`);
  }
  if (o.max_memory_restart !== undefined && (typeof o.max_memory_restart !== "string" || !/^[1-9][0-9]*[KMG]?$/i.test(o.max_memory_restart))) {
    throw invalid(ctx, `max_memory_restart must look like "200M", "1G" or "512K"`);
  }
  if (o.min_uptime !== undefined) {
    const ok =
      (typeof o.min_uptime === "number" && Number.isSafeInteger(o.min_uptime) && o.min_uptime >= 0) ||
      (typeof o.min_uptime === "string" && /^[0-9]+(ms|s|m|h)?$/.test(o.min_uptime));
    if (!ok) throw invalid(ctx, `min_uptime must be milliseconds or a duration such as "5s"`);
  }
  if (o.cron_restart !== undefined) assertText(o.cron_restart, ctx, "cron_restart");
  if (o.watch !== undefined && typeof o.watch !== "boolean") assertList(o.watch, ctx, "watch");
  if (o.namespace !== undefined && (typeof o.namespace !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(o.namespace) || !isNaN(Number(o.namespace)) || o.namespace.toLowerCase() === "all")) {
    throw invalid(ctx, `namespace may only contain letters, digits, ".", "_" and "-", and must not be numeric or "all"`);
  }
  if (o.stop_exit_codes !== undefined) {
    if (!Array.isArray(o.stop_exit_codes)) throw invalid(ctx, "stop_exit_codes must be an array of exit codes");
    for (let index = 0; index < o.stop_exit_codes.length; index++) assertInteger((o.stop_exit_codes as unknown[])[index], ctx, `stop_exit_codes[${index}]`, 0, 255);
  }
}

/**
 * Turns `start(instanceId, command, options)` into one PM2 ecosystem app.
 *
 * - `options.script` given and different from `command`: `command` is the interpreter
 *   (`start(id, "node", { script: "/app/server.js" })`).
 * - Otherwise `command` is the script. If it is shell text (whitespace, `;`, `|`, `$`, quotes, …)
 *   and neither `options.script` nor `options.interpreter` is given, it runs as
 *   `/bin/sh -c <command> <name> <args…>`: the text is one argv element, never re-parsed by us.
 * - One worker runs in fork mode; more than one (or `"max"`) lets PM2 pick cluster mode for
 *   Node scripts. Cluster apps write one merged log per stream unless `merge_logs: false`.
 */
export function resolveStart(command: unknown, options: unknown, ctx: ErrorContext): ResolvedStart {
  assertText(command, ctx, "command");
  // Read once into a plain copy: `null`, class instances, getters and unknown keys are
  // INVALID_ARGUMENT, and what is checked is what PM2 gets. Lists and env are copied too.
  const opts: Record<string, unknown> = readOptionsObject(options, ctx, "options", [...CONFIG_KEYS]) ?? {};
  for (const key of [...LIST_KEYS, "watch", "stop_exit_codes"] as const) {
    const list = opts[key];
    if (!Array.isArray(list)) continue;
    try {
      opts[key] = Array.from({ length: list.length }, (_, i) => (Object.hasOwn(list, i) ? (list as unknown[])[i] : undefined));
    } catch {
      throw invalid(ctx, `${key} could not be read`);
    }
  }
  if (opts.env !== undefined) opts.env = readEnv(opts.env, ctx);
  assertStartOptions(opts, ctx);

  const app: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(opts)) if (value !== undefined) app[key] = value;

  let shell = false;
  if (opts.script !== undefined && opts.script !== command) {
    if (opts.interpreter !== undefined && opts.interpreter !== command) {
      throw invalid(ctx, "command and options.interpreter disagree: with options.script given, command is the interpreter");
    }
    app.interpreter = command;
    app.script = opts.script;
  } else if (opts.script === undefined && opts.interpreter === undefined && looksLikeShell(command)) {
    shell = true;
    app.script = SHELL;
    app.interpreter = "none";
  } else {
    app.script = command;
  }

  const name = opts.name ?? defaultProcessName(command, shell);
  assertProcessName(name, ctx);
  // PM2 sets an environment variable named after the process: it would replace this one.
  if (typeof app.env === "object" && app.env !== null && Object.hasOwn(app.env, name)) {
    throw invalid(ctx, `process name ${JSON.stringify(name)} is also one of its env names; PM2 would replace that variable with "{}" (it sets one named after each process)`);
  }
  app.name = name;
  if (shell) app.args = ["-c", command, name, ...(opts.args ?? [])];

  const instances = opts.instances;
  const many = instances === "max" || (typeof instances === "number" && instances > 1);
  if (app.exec_mode === undefined && !many) app.exec_mode = "fork";
  // Without merge_logs PM2 writes one file per worker (name-out-0.log, …) and `logs(name)` could
  // not return "the last N lines"; merging keeps one file per stream per app.
  if (app.merge_logs === undefined && (many || app.exec_mode === "cluster")) app.merge_logs = true;

  return { name, app: app as EcosystemApp, shell };
}

/**
 * The ecosystem file's text: `{"apps":[app]}` as pure-ASCII JSON.
 *
 * PM2 evaluates `.json` ecosystem files as a JavaScript expression (`vm.runInThisContext`),
 * so the text must be inert as JS too. JSON is a subset of JS and escapes quotes, backslashes
 * and control characters; escaping everything outside printable ASCII as `\uXXXX` as well
 * removes any doubt about line separators or encodings.
 */
export function ecosystemJson(app: EcosystemApp): string {
  return JSON.stringify({ apps: [app] }).replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
