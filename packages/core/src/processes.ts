/**
 * A PM2 application, as it appears in an ecosystem file (`apps[]`). `.build()` on the
 * process builder returns one.
 *
 * @example
 * ```ts
 * import type { ProcessConfig } from "@vm/core";
 * const config: ProcessConfig = {
 *   name: "my-app",
 *   script: "/app/server.js",
 *   env: { NODE_ENV: "production" },
 *   instances: 4,
 *   exec_mode: "cluster",
 * };
 * ```
 */
export interface ProcessConfig {
  name: string;
  /** Script or binary to run. */
  script: string;
  args?: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Number of workers; more than one (or `"max"`) implies cluster mode for Node scripts. */
  instances?: number | "max";
  exec_mode?: "fork" | "cluster";
  /** `"node"`, `"bash"`, `"python3"`, …, or `"none"` to execute `script` directly. */
  interpreter?: string;
  interpreter_args?: string[];
  node_args?: string[];
  autorestart?: boolean;
  /** e.g. `"200M"`, `"1G"`. */
  max_memory_restart?: string;
  max_restarts?: number;
  /** Milliseconds, or a PM2 duration string such as `"5s"`. */
  min_uptime?: number | string;
  restart_delay?: number;
  exp_backoff_restart_delay?: number;
  kill_timeout?: number;
  cron_restart?: string;
  watch?: boolean | string[];
  ignore_watch?: string[];
  /** Prefix log lines with timestamps. */
  time?: boolean;
  merge_logs?: boolean;
  namespace?: string;
  wait_ready?: boolean;
  listen_timeout?: number;
  shutdown_with_message?: boolean;
  source_map_support?: boolean;
  stop_exit_codes?: number[];
}

/**
 * Options for `processes.start()`: a partial config. When `script` is given and differs
 * from the `command` argument, `command` is the interpreter (the design's
 * `start(id, "node", { name, script })` form).
 *
 * @example
 * ```ts
 * import type { ProcessStartOptions } from "@vm/core";
 * const options: ProcessStartOptions = { name: "app", script: "/app/server.js", env: { PORT: "3000" } };
 * ```
 */
export type ProcessStartOptions = Partial<ProcessConfig>;

/**
 * PM2 status of one process.
 *
 * @example
 * ```ts
 * import type { ProcessStatus } from "@vm/core";
 * const healthy: ProcessStatus = "online";
 * ```
 */
export type ProcessStatus = "online" | "launching" | "stopping" | "stopped" | "errored" | "one-launch-status";

/**
 * One process (one worker in cluster mode). Env values are never included: they hold secrets.
 *
 * @example
 * ```ts
 * import type { ProcessInfo } from "@vm/core";
 * const summary = (p: ProcessInfo) => `${p.name}#${p.instance} ${p.status} (${p.restarts} restarts)`;
 * ```
 */
export interface ProcessInfo {
  name: string;
  /** PM2's numeric id. */
  id: number;
  status: ProcessStatus;
  /** OS pid, or `null` when not running. */
  pid: number | null;
  restarts: number;
  /** Milliseconds since the process (re)started, or `null` when not running. */
  uptime: number | null;
  /** CPU usage in percent. */
  cpu: number;
  /** Resident memory in bytes. */
  memory: number;
  /** Worker index within its app (`NODE_APP_INSTANCE`), 0 in fork mode. */
  instance: number;
  exec_mode: "fork" | "cluster";
}

/**
 * Last lines of a process's logs, without PM2 headers or prefixes.
 *
 * @example
 * ```ts
 * import type { ProcessLogs } from "@vm/core";
 * const hasError = (logs: ProcessLogs) => logs.err.length > 0;
 * ```
 */
export interface ProcessLogs {
  out: string;
  err: string;
}

/**
 * One line of a process's output, as `streamLogs()` yields it: `out` for stdout, `err` for
 * stderr, without the line break and without PM2 prefixes.
 *
 * @example
 * ```ts
 * import type { ProcessLogLine } from "@vm/core";
 * const show = (l: ProcessLogLine) => (l.stream === "err" ? console.error : console.log)(l.line);
 * ```
 */
export interface ProcessLogLine {
  readonly stream: "out" | "err";
  readonly line: string;
}

/**
 * Options for `processes.streamLogs()`.
 *
 * @example
 * ```ts
 * import type { StreamLogsOptions } from "@vm/core";
 * const options: StreamLogsOptions = { signal: AbortSignal.timeout(60_000) };
 * ```
 */
export interface StreamLogsOptions {
  /**
   * End the stream: the loop ends without an error and nothing stays running in the VM.
   *
   * @default none: the stream lasts until the loop is left or the instance goes away
   */
  signal?: AbortSignal;
}

/**
 * Fluent builder for a `ProcessConfig`, read like a sentence.
 *
 * @example
 * ```ts
 * import type { VMProvider } from "@vm/core";
 * async function startApp(provider: VMProvider, instanceId: string) {
 *   const config = provider.processes.createProcess("my-app")
 *     .script("/app/server.js")
 *     .env({ NODE_ENV: "production" })
 *     .instances(4)
 *     .build();
 *   await provider.processes.start(instanceId, config.script, config);
 * }
 * ```
 */
export interface ProcessBuilder {
  script(script: string): ProcessBuilder;
  args(args: readonly string[]): ProcessBuilder;
  cwd(cwd: string): ProcessBuilder;
  env(env: Record<string, string>): ProcessBuilder;
  instances(count: number | "max"): ProcessBuilder;
  execMode(mode: "fork" | "cluster"): ProcessBuilder;
  interpreter(interpreter: string): ProcessBuilder;
  interpreterArgs(args: readonly string[]): ProcessBuilder;
  nodeArgs(args: readonly string[]): ProcessBuilder;
  autorestart(enabled: boolean): ProcessBuilder;
  maxMemoryRestart(limit: string): ProcessBuilder;
  maxRestarts(count: number): ProcessBuilder;
  minUptime(uptime: number | string): ProcessBuilder;
  restartDelay(ms: number): ProcessBuilder;
  expBackoffRestartDelay(ms: number): ProcessBuilder;
  killTimeout(ms: number): ProcessBuilder;
  cronRestart(cron: string): ProcessBuilder;
  watch(enabled: boolean | readonly string[]): ProcessBuilder;
  time(enabled: boolean): ProcessBuilder;
  mergeLogs(enabled: boolean): ProcessBuilder;
  namespace(namespace: string): ProcessBuilder;
  waitReady(enabled: boolean, listenTimeoutMs?: number): ProcessBuilder;
  /** Returns a plain, JSON-serialisable config; throws `INVALID_ARGUMENT` if incomplete. */
  build(): ProcessConfig;
}

/**
 * PM2 process management inside an instance. `nameOrId` is a process name or PM2's
 * numeric id; an unknown one is `NOT_FOUND`.
 *
 * @example
 * ```ts
 * import type { VMProcessService } from "@vm/core";
 * async function deploy(processes: VMProcessService, id: string) {
 *   await processes.start(id, "node", { name: "app", script: "/app/server.js", env: { PORT: "3000" } });
 *   const list = await processes.list(id);
 *   const logs = await processes.logs(id, "app", 100);
 *   return { list, logs };
 * }
 * ```
 */
export interface VMProcessService {
  /** Start (or replace) a process; resolves with its workers once PM2 has them. */
  start(instanceId: string, command: string, options?: ProcessStartOptions): Promise<ProcessInfo[]>;
  stop(instanceId: string, nameOrId: string | number): Promise<void>;
  restart(instanceId: string, nameOrId: string | number): Promise<void>;
  delete(instanceId: string, nameOrId: string | number): Promise<void>;
  list(instanceId: string): Promise<ProcessInfo[]>;
  /** Exactly the last `lines` lines (default 100) of stdout and stderr. */
  logs(instanceId: string, nameOrId: string | number, lines?: number): Promise<ProcessLogs>;
  /**
   * Follow a process's stdout and stderr (every worker in cluster mode): yields each line
   * written once the follow runs in the VM, as it is written. The follow starts with the first
   * `next()` and takes about an exec's time to begin: lines written between the call and then
   * may be missed (`logs()` has them). Ends when `signal` aborts, the loop is left or the
   * instance goes away, and leaves nothing running in the VM. A process deleted meanwhile does
   * not end it (its log files may come back): leave the loop or abort.
   *
   * @example
   * ```ts
   * import type { VMProcessService } from "@vm/core";
   * async function tail(processes: VMProcessService, id: string, signal: AbortSignal) {
   *   for await (const { stream, line } of processes.streamLogs(id, "app", { signal })) console.log(stream, line);
   * }
   * ```
   */
  streamLogs(instanceId: string, nameOrId: string | number, options?: StreamLogsOptions): AsyncIterable<ProcessLogLine>;
  /** Succeeds when nothing runs. */
  stopAll(instanceId: string): Promise<void>;
  /** Succeeds when nothing runs. */
  deleteAll(instanceId: string): Promise<void>;
  createProcess(name: string): ProcessBuilder;
}
