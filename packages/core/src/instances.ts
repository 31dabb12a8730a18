import type { ExposedService, ExposeOptions } from "./expose.js";
import type { VMResources, VMResourcesInForce } from "./resources.js";

/**
 * Lifecycle state of an instance, as every provider reports it. A `paused` instance keeps its
 * memory and processes but runs nothing until `resume()`; a `stopped` one is off for good
 * (only `terminate()` and reads of its metadata remain).
 *
 * @example
 * ```ts
 * import type { InstanceStatus } from "@vm/core";
 * const live: InstanceStatus[] = ["booting", "ready"];
 * ```
 */
export type InstanceStatus = "booting" | "ready" | "paused" | "stopping" | "stopped" | "error";

/**
 * What happens to an instance when its TTL runs out: `stop` it, `pause` it (where
 * `capabilities.ttlPause` is true; it can be resumed) or `terminate` it.
 *
 * @example
 * ```ts
 * import type { TtlAction } from "@vm/core";
 * const action: TtlAction = "terminate";
 * ```
 */
export type TtlAction = "stop" | "pause" | "terminate";

/**
 * A running (or stopped) machine.
 *
 * @example
 * ```ts
 * import type { VMInstance } from "@vm/core";
 * const isUp = (i: VMInstance) => i.status === "ready";
 * ```
 */
export interface VMInstance {
  readonly id: string;
  readonly status: InstanceStatus;
  /** Caller-defined string labels, set at boot. */
  readonly metadata?: Record<string, string>;
  /** ISO-8601 timestamp. */
  readonly created_at: string;
  /** The snapshot this instance was booted from, when the provider knows it. */
  readonly snapshot_id?: string;
  readonly ttl?: { readonly seconds?: number; readonly action?: TtlAction };
  /** The resources in force (the snapshot's, with the boot's overrides). Absent when the provider does not know them. */
  readonly resources?: VMResourcesInForce;
  /**
   * The ports exposed with `expose()`, when the provider has any to report (`capabilities.expose`).
   * On the Docker provider these are the ones this process exposed: their URLs live in it.
   */
  readonly services?: readonly ExposedService[];
}

/**
 * An instance returned by `boot()` or `fork()`. It terminates itself at the end of an
 * `await using` scope, so a crashed caller does not leak a machine.
 *
 * @example
 * ```ts
 * import type { VMProvider } from "@vm/core";
 * async function once(provider: VMProvider, snapshotId: string) {
 *   await using vm = await provider.instances.boot(snapshotId);
 *   return provider.instances.exec(vm.id, ["uname", "-a"]);
 * } // terminated here
 * ```
 *
 * `await using` runs natively on Node 24+. On Node 22 it is a syntax error unless TypeScript
 * 5.2+ compiles it (e.g. `target: "ES2023"`, `lib: ["ES2023", "ESNext.Disposable"]`) into
 * try/finally; Node 22 already defines `Symbol.asyncDispose`, so no polyfill is needed. Without
 * either, call `instances.terminate(vm.id)` in a `finally` block.
 */
export interface BootedInstance extends VMInstance, AsyncDisposable {}

/**
 * Options for `instances.boot()`.
 *
 * @example
 * ```ts
 * import type { BootOptions } from "@vm/core";
 * const options: BootOptions = { ttl_seconds: 3600, ttl_action: "stop", metadata: { app: "demo" } };
 * ```
 */
export interface BootOptions {
  /**
   * Stop or terminate the instance this many seconds after boot, even with no client running.
   *
   * @default none: the instance runs until it is stopped or terminated
   */
  ttl_seconds?: number;
  /**
   * What the TTL does when it fires; only with `ttl_seconds` (alone it is `INVALID_ARGUMENT`
   * on every provider).
   *
   * @default `"stop"`
   */
  ttl_action?: TtlAction;
  /**
   * String labels to attach; `list({ metadata })` filters on them.
   *
   * @default `{}`
   */
  metadata?: Record<string, string>;
  /**
   * The size of this instance, field by field over the snapshot's (`VMSnapshot.resources`):
   * `{ memoryMb: 4096 }` changes the memory only. A fork gets its parent's.
   *
   * @default the snapshot's resources
   */
  resources?: VMResources;
  /**
   * Give up waiting for `ready` after this long (the instance is cleaned up).
   *
   * @default the provider's boot timeout (`bootTimeoutMs`: 60 s on Docker, 180 s on Morph)
   */
  timeoutMs?: number;
  /**
   * Abort the boot: the call rejects with `ABORTED`.
   *
   * @default none
   */
  signal?: AbortSignal;
}

/**
 * Filters for `instances.list()`. All given filters must match.
 *
 * @example
 * ```ts
 * import type { InstanceFilters } from "@vm/core";
 * const filters: InstanceFilters = { status: ["ready"], metadata: { app: "demo" } };
 * ```
 */
export interface InstanceFilters {
  /**
   * Only instances in this status (or any of these).
   *
   * @default every status
   */
  status?: InstanceStatus | readonly InstanceStatus[];
  /**
   * Every key/value here must be present on the instance.
   *
   * @default no metadata filter
   */
  metadata?: Record<string, string>;
}

/**
 * Options for `instances.exec()` and `execStream()`.
 *
 * What a kill reaches: after a call ends with `TIMEOUT` or `ABORTED` (`timeoutMs`, `signal`,
 * an `execStream` left early, an output cap), nothing the command started is still running:
 * its session and process groups and every process that inherited its kill tag (the
 * `VM_EXEC_ID` environment entry the provider sets), also children that called `setsid` or
 * were re-parented. The kill never reaches any other process, whatever the command writes
 * anywhere. A command that clears its environment and also leaves its session escapes it.
 *
 * When the result comes: once the command has exited AND its stdout and stderr are closed by
 * every process that inherited them. A background child that keeps them open holds the result
 * (its later output included) until it closes them, or until `timeoutMs`/`signal` ends the
 * call (then it is killed with the rest). A child that sends its output elsewhere
 * (`cmd >/dev/null 2>&1 &`) does not hold the result and keeps running after a successful
 * exec; use the processes service for long-lived processes.
 *
 * @example
 * ```ts
 * import type { ExecOptions } from "@vm/core";
 * const options: ExecOptions = { cwd: "/app", env: { NODE_ENV: "test" }, timeoutMs: 5_000 };
 * ```
 */
export interface ExecOptions {
  /**
   * Absolute working directory inside the VM, entered as `user` (a directory that user may not
   * search is refused, never entered first as root). One that does not exist or cannot be
   * entered rejects with `NOT_FOUND`; the command does not run.
   *
   * @default the instance's default directory
   */
  cwd?: string;
  /**
   * Extra environment variables for this command only; they override the instance's and the
   * `HOME`/`USER`/`LOGNAME` that `user` sets. `VM_EXEC_ID` is reserved (the provider's kill
   * tag): setting it is `INVALID_ARGUMENT`.
   *
   * @default none
   */
  env?: Record<string, string>;
  /**
   * Fed to the command's standard input, then closed. An `AsyncIterable` (of strings or bytes)
   * is fed as it yields, so a command can be driven interactively through `execStream`: the
   * input closes when the iterable ends; if it throws, the command is killed and the call
   * rejects. Streamed input needs `capabilities.stdinStream` (else `UNSUPPORTED`).
   *
   * @default none: standard input is empty (closed at once)
   */
  stdin?: string | Uint8Array | AsyncIterable<string | Uint8Array>;
  /**
   * Kill the command and everything it started in the VM after this long (a background child
   * still holding its output included); the call rejects with `TIMEOUT`. Enforced inside the VM
   * too: a client that dies during the call does not leave the command running much past it.
   * @default no limit (the provider's own request timeout still applies)
   */
  timeoutMs?: number;
  /**
   * Kill the command and everything it started in the VM when aborted; the call rejects with `ABORTED`.
   *
   * @default none
   */
  signal?: AbortSignal;
  /**
   * Run as this user (name or uid) inside the VM, the same way on every provider:
   * - a name or uid with an `/etc/passwd` entry: that entry's uid, primary gid and groups;
   * - a uid without an entry: that uid with gid = uid and no other group (never gid 0);
   * - a name without an entry: rejects with `NOT_FOUND`; the command does not run.
   *
   * The command's `HOME`, `USER` and `LOGNAME` are the target's (its entry's home and name; for
   * a uid without an entry `/` and the uid), unless `env` sets them.
   *
   * @default the instance's default user (root on the bundled providers), environment unchanged
   */
  user?: string;
}

/**
 * Result of a finished command. A non-zero `exit_code` is a result, not an error.
 *
 * @example
 * ```ts
 * import type { ExecResult } from "@vm/core";
 * const ok = (r: ExecResult) => r.exit_code === 0;
 * ```
 */
export interface ExecResult {
  stdout: string;
  stderr: string;
  exit_code: number;
}

/**
 * One chunk of a streamed command: any number of `stdout`/`stderr` chunks in arrival
 * order, then exactly one `exit` chunk.
 *
 * @example
 * ```ts
 * import type { ExecStreamChunk } from "@vm/core";
 * function print(chunk: ExecStreamChunk) {
 *   if (chunk.type === "exit") console.log("exit", chunk.exit_code);
 *   else process[chunk.type].write(chunk.data);
 * }
 * ```
 */
export type ExecStreamChunk =
  | { readonly type: "stdout"; readonly data: string }
  | { readonly type: "stderr"; readonly data: string }
  | { readonly type: "exit"; readonly exit_code: number };

/**
 * VM lifecycle and command execution.
 *
 * @example
 * ```ts
 * import type { VMInstanceService } from "@vm/core";
 * async function hello(instances: VMInstanceService, snapshotId: string) {
 *   const vm = await instances.boot(snapshotId, { ttl_seconds: 600, ttl_action: "terminate" });
 *   try {
 *     const { stdout } = await instances.exec(vm.id, ["echo", "Hello World"]);
 *     return stdout;
 *   } finally {
 *     await instances.terminate(vm.id);
 *   }
 * }
 * ```
 */
export interface VMInstanceService {
  /** Start an instance from a snapshot and wait until it is `ready`. */
  boot(snapshotId: string, options?: BootOptions): Promise<BootedInstance>;
  /** Throws `NOT_FOUND` for an unknown id. */
  get(instanceId: string): Promise<VMInstance>;
  list(filters?: InstanceFilters): Promise<VMInstance[]>;
  /** Stop the instance; its files are kept when `capabilities.stop` is true. */
  stop(instanceId: string): Promise<void>;
  /**
   * Freeze a ready instance (status `paused`), keeping its memory and processes: they carry on
   * after `resume()` without a restart. Commands and file calls on a paused instance are
   * `CONFLICT`. Pausing a paused instance succeeds; a stopped one is `CONFLICT`.
   * Needs `capabilities.pause`.
   */
  pause(instanceId: string): Promise<void>;
  /** Bring a paused instance back to `ready`. Resuming a ready one succeeds; a stopped one is `CONFLICT`. Needs `capabilities.pause`. */
  resume(instanceId: string): Promise<void>;
  /**
   * Make `port` on the instance's loopback reachable from the caller's machine at the returned
   * URL (HTTP, streamed responses and WebSocket). Connections through it end when the service is
   * unexposed or the instance terminated. Needs `capabilities.expose`.
   *
   * @example
   * ```ts
   * import type { VMProvider } from "@vm/core";
   * async function preview(provider: VMProvider, id: string) {
   *   const web = await provider.instances.expose(id, 3000, { name: "web" });
   *   return (await fetch(web.url)).text();
   * }
   * ```
   */
  expose(instanceId: string, port: number, options?: ExposeOptions): Promise<ExposedService>;
  /** Close an exposed service: its URL stops answering and its open connections end. An unknown name is `NOT_FOUND`. */
  unexpose(instanceId: string, name: string): Promise<void>;
  /** Remove the instance and everything in it. */
  terminate(instanceId: string): Promise<void>;
  /**
   * Make `count` independent copies of a running instance (files and PM2 processes included).
   * `count` is 1 to 32 (`MAX_FORK_COUNT` of `@vm/provider-kit`) on every provider.
   */
  fork(instanceId: string, count: number): Promise<BootedInstance[]>;
  /**
   * Run `argv` (no shell) and collect its output. Resolves once the command exited and its
   * stdout/stderr are closed (a background child keeping them open holds the result; see
   * `ExecOptions`); after `TIMEOUT`/`ABORTED` nothing it started runs on.
   */
  exec(instanceId: string, argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Run `argv` and yield output as it arrives; breaking out of the loop kills the command and everything it started. */
  execStream(instanceId: string, argv: readonly string[], options?: ExecOptions): AsyncIterable<ExecStreamChunk>;
}
