import type { ProcessInfo, ProcessStatus } from "@vm/core";
import { VMError, type ErrorContext } from "@vm/provider-kit";

/** One entry of `pm2 jlist`, reduced to what we use: never the env. */
export interface PM2Process {
  info: ProcessInfo;
  /** `pm2_env.pm_out_log_path`, `""` when PM2 reports none. */
  outLog: string;
  /** `pm2_env.pm_err_log_path`, `""` when PM2 reports none. */
  errLog: string;
  /** A PM2 module (pm2-logrotate, …), not an app. */
  module: boolean;
}

const STATUSES = new Set<string>(["online", "launching", "stopping", "stopped", "errored", "one-launch-status"]);
const RUNNING = new Set<ProcessStatus>(["online", "launching", "stopping", "one-launch-status"]);

// ANSI colour codes PM2 puts around its banner and messages.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, "g");

/**
 * Strips ANSI colour codes.
 *
 * @example
 * ```ts
 * stripAnsi("\u001b[32m[PM2] \u001b[39mok"); // "[PM2] ok"
 * ```
 */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/**
 * PM2 statuses outside the contract's union: `"waiting restart"` (a restart delay is running)
 * is reported as `"launching"`; anything unknown as `"errored"`.
 */
export function toStatus(raw: unknown): ProcessStatus {
  if (typeof raw === "string" && STATUSES.has(raw)) return raw as ProcessStatus;
  if (raw === "waiting restart") return "launching";
  return "errored";
}

function num(value: unknown, fallback = 0): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return fallback;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * Finds the JSON array in `pm2 jlist` output. A fresh daemon prints its ASCII-art banner and
 * "[PM2] Spawning PM2 daemon…" lines to stdout first; the list itself is one line of JSON.
 * Returns `undefined` when there is no list.
 */
export function extractJlist(stdout: string): unknown[] | undefined {
  const lines = stripAnsi(stdout).split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] ?? "").trim();
    if (!line.startsWith("[") || !line.endsWith("]")) continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (Array.isArray(parsed)) return parsed as unknown[];
    } catch {
      // a banner line such as "[PM2] PM2 Successfully daemonized": keep looking
    }
  }
  return undefined;
}

/**
 * Parses `pm2 jlist` output into typed entries. `now` is the host's clock, used for `uptime`.
 * The error never quotes the output: it carries every process's env.
 */
export function parseJlist(stdout: string, ctx: ErrorContext, now = Date.now()): PM2Process[] {
  const list = extractJlist(stdout);
  if (list === undefined) throw new VMError("INTERNAL", "could not find the process list in the output of `pm2 jlist`", ctx);
  return list.map((entry): PM2Process => {
    const p = record(entry);
    const env = record(p.pm2_env);
    const monit = record(p.monit);
    const status = toStatus(env.status);
    const running = RUNNING.has(status);
    const pid = num(p.pid);
    const started = num(env.pm_uptime, NaN);
    const info: ProcessInfo = {
      name: typeof p.name === "string" ? p.name : typeof env.name === "string" ? env.name : "",
      id: num(p.pm_id, num(env.pm_id, -1)),
      status,
      pid: running && pid > 0 ? pid : null,
      restarts: num(env.restart_time),
      uptime: status === "online" && Number.isFinite(started) ? Math.max(0, now - started) : null,
      cpu: num(monit.cpu),
      memory: num(monit.memory),
      instance: num(env.NODE_APP_INSTANCE),
      exec_mode: env.exec_mode === "cluster_mode" || env.exec_mode === "cluster" ? "cluster" : "fork",
    };
    return {
      info,
      outLog: typeof env.pm_out_log_path === "string" ? env.pm_out_log_path : "",
      errLog: typeof env.pm_err_log_path === "string" ? env.pm_err_log_path : "",
      module: env.pmx_module === true,
    };
  });
}
