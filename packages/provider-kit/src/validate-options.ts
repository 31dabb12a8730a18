import type { BootOptions, CreateSnapshotOptions, ExecOptions, FromImageOptions, InstanceFilters, InstanceStatus, SnapshotFilters } from "@vm/core";
import { VMError } from "./errors.js";
import { INSTANCE_STATUSES } from "./runtime/status.js";
import { type ErrorContext, assertAbsolutePath, assertArgv, assertCommandSize, assertEnv, assertId, assertInteger, assertMetadata, assertMode, assertPrincipal } from "./validate.js";
import { EXEC_TAG_VAR } from "./exec/kill-protocol.js";
import { readResources } from "./resources.js";

function invalid(ctx: ErrorContext, message: string): VMError {
  return new VMError("INVALID_ARGUMENT", message, ctx);
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

/**
 * Longest `ttl_seconds` `boot()` accepts: ten years.
 */
export const MAX_TTL_SECONDS = 10 * 365 * 24 * 3600;

/**
 * Longest `timeoutMs` any call accepts: the largest delay a Node timer honours (2^31 - 1 ms,
 * about 24.8 days); a longer one would fire at once.
 */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Longest snapshot `digest`, in characters.
 */
export const MAX_DIGEST_LENGTH = 1024;

/**
 * Reads an options or filters object into a plain copy, or returns `undefined` for `undefined`.
 * Accepted: an object whose prototype is `Object.prototype` or `null`, with only the `allowed`
 * keys, each a data property. Rejected with `INVALID_ARGUMENT`: `null`, primitives, arrays,
 * functions, class instances (`Date`, `Map`, boxed strings), getters (they could throw, or
 * answer differently the second time they are read), symbol keys and unknown keys (a typo such
 * as `timeout` for `timeoutMs` would otherwise be ignored silently). A proxy whose traps throw
 * is `INVALID_ARGUMENT` too. Fields whose value is `undefined` are left out of the copy.
 *
 * @example
 * ```ts
 * import { readOptionsObject } from "@vm/provider-kit";
 * const options = readOptionsObject({ cwd: "/app" }, { provider: "docker", operation: "instances.exec" }, "options", ["cwd", "env"]);
 * console.log(options?.cwd); // "/app"
 * ```
 */
export function readOptionsObject(value: unknown, ctx: ErrorContext, what: string, allowed: readonly string[]): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(ctx, `${what} must be an object, got ${kind(value)}`);
  const copy: Record<string, unknown> = {};
  try {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) throw invalid(ctx, `${what} must be a plain object`);
    for (const key of Reflect.ownKeys(value)) {
      if (typeof key === "symbol") throw invalid(ctx, `${what} must not have symbol keys`);
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor === undefined) continue;
      if (!descriptor.enumerable) continue;
      if (!allowed.includes(key)) throw invalid(ctx, `${what} has an unknown key ${JSON.stringify(key.slice(0, 64))}; known keys: ${allowed.join(", ")}`);
      if (!("value" in descriptor)) throw invalid(ctx, `${what}.${key} must be a plain value, not a getter`);
      if (descriptor.value !== undefined) Object.defineProperty(copy, key, { value: descriptor.value, enumerable: true, writable: true, configurable: true });
    }
  } catch (err) {
    if (err instanceof VMError) throw err;
    // A proxy trap (or a revoked proxy) threw: the caller's object cannot be read.
    throw invalid(ctx, `${what} could not be read`);
  }
  return copy;
}

/**
 * Copies a record of strings (metadata, env) as data, after the same plain-object checks as
 * `readOptionsObject` (any key is allowed, `__proto__` included: it is kept as an own key).
 */
function readRecord(value: unknown, ctx: ErrorContext, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(ctx, `${what} must be an object of strings, got ${kind(value)}`);
  const copy: Record<string, unknown> = {};
  try {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) throw invalid(ctx, `${what} must be a plain object of strings`);
    for (const key of Reflect.ownKeys(value)) {
      if (typeof key === "symbol") throw invalid(ctx, `${what} must not have symbol keys`);
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor === undefined || !descriptor.enumerable) continue;
      if (!("value" in descriptor)) throw invalid(ctx, `${what} must hold plain values, not getters`);
      Object.defineProperty(copy, key, { value: descriptor.value, enumerable: true, writable: true, configurable: true });
    }
  } catch (err) {
    if (err instanceof VMError) throw err;
    throw invalid(ctx, `${what} could not be read`);
  }
  return copy;
}

/**
 * A copy of `metadata` (a plain object of NUL-free strings, see `assertMetadata`), read once.
 *
 * @example
 * ```ts
 * import { readMetadata } from "@vm/provider-kit";
 * const metadata = readMetadata({ app: "demo" }, { provider: "docker", operation: "instances.boot" });
 * ```
 */
export function readMetadata(metadata: unknown, ctx: ErrorContext): Record<string, string> {
  const copy = readRecord(metadata, ctx, "metadata");
  assertMetadata(copy, ctx);
  return copy;
}

/**
 * A copy of `env` (shell-identifier names, NUL-free string values, see `assertEnv`), read once.
 *
 * @example
 * ```ts
 * import { readEnv } from "@vm/provider-kit";
 * const env = readEnv({ NODE_ENV: "test" }, { provider: "docker", operation: "instances.exec" });
 * ```
 */
export function readEnv(env: unknown, ctx: ErrorContext): Record<string, string> {
  const copy = readRecord(env, ctx, "env");
  assertEnv(copy, ctx);
  return copy;
}

/**
 * Rejects a `signal` that is not an `AbortSignal` (`INVALID_ARGUMENT`) and one already aborted
 * (`ABORTED`, with the signal's reason as `cause`); `undefined` is fine.
 *
 * @example
 * ```ts
 * import { assertSignal } from "@vm/provider-kit";
 * assertSignal(new AbortController().signal, { provider: "docker", operation: "instances.exec" });
 * ```
 */
export function assertSignal(signal: unknown, ctx: ErrorContext): asserts signal is AbortSignal | undefined {
  if (signal === undefined) return;
  if (!(signal instanceof AbortSignal)) throw invalid(ctx, `signal must be an AbortSignal, got ${kind(signal)}`);
  if (signal.aborted) throw new VMError("ABORTED", "the signal was aborted before the call started", { ...ctx, cause: signal.reason });
}

/**
 * A copy of argv after `assertArgv`, read once: holes of a sparse array are refused (they are
 * not strings) and a getter on an element cannot answer differently later.
 *
 * @example
 * ```ts
 * import { readArgv } from "@vm/provider-kit";
 * const argv = readArgv(["ls", "/"], { provider: "docker", operation: "instances.exec" });
 * ```
 */
export function readArgv(argv: unknown, ctx: ErrorContext): string[] {
  if (!Array.isArray(argv)) throw invalid(ctx, `argv must be an array of strings, got ${kind(argv)}`);
  let copy: unknown[];
  try {
    copy = Array.from({ length: argv.length }, (_, index) => (Object.hasOwn(argv, index) ? (argv as unknown[])[index] : undefined));
  } catch {
    throw invalid(ctx, "argv could not be read");
  }
  assertArgv(copy, ctx);
  return copy as string[];
}

const EXEC_KEYS = ["cwd", "env", "stdin", "timeoutMs", "signal", "user"] as const;

/**
 * Checks `exec()`/`execStream()` options and returns a copy to use instead of the caller's
 * object. `cwd` absolute, `env` names/values (`assertEnv`; `VM_EXEC_ID`, the kill tag, is the provider's), `stdin` a string or `Uint8Array`,
 * `timeoutMs` a whole number from 1 to `MAX_TIMEOUT_MS`, `user` a name or numeric id, `signal`
 * an `AbortSignal` (`ABORTED` if already aborted). The size of argv and env together is the
 * provider's check: each provider adds its own wrapper arguments.
 *
 * @example
 * ```ts
 * import { readExecOptions } from "@vm/provider-kit";
 * const options = readExecOptions({ cwd: "/app", timeoutMs: 5_000 }, { provider: "docker", operation: "instances.exec" });
 * ```
 */
export function readExecOptions(options: unknown, ctx: ErrorContext): ExecOptions | undefined {
  const o = readOptionsObject(options, ctx, "options", EXEC_KEYS);
  if (o === undefined) return undefined;
  if (o.cwd !== undefined) assertAbsolutePath(o.cwd, ctx, "cwd");
  if (o.env !== undefined) o.env = readEnv(o.env, ctx);
  // The kill protocol finds a command by this tag: a caller's own value could point a kill
  // at another command (or hide this one from its own kill).
  if (o.env !== undefined && Object.hasOwn(o.env as Record<string, string>, EXEC_TAG_VAR)) throw invalid(ctx, `env must not set ${EXEC_TAG_VAR}: the provider sets it to find the command for a kill`);
  if (o.user !== undefined) assertPrincipal(o.user, ctx, "user");
  if (o.timeoutMs !== undefined) assertInteger(o.timeoutMs, ctx, "timeoutMs", 1, MAX_TIMEOUT_MS);
  if (o.stdin !== undefined && typeof o.stdin !== "string" && !(o.stdin instanceof Uint8Array) && !isAsyncIterable(o.stdin)) {
    throw invalid(ctx, `stdin must be a string, a Uint8Array or an AsyncIterable of them, got ${kind(o.stdin)}`);
  }
  assertSignal(o.signal, ctx);
  return o;
}

/** True for an object with a `Symbol.asyncIterator` method (streamed stdin). */
export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function";
}

/**
 * How `readExecCall()` checks a call beyond its arguments' types.
 *
 * @example
 * ```ts
 * import type { ExecCallChecks } from "@vm/provider-kit";
 * const checks: ExecCallChecks = { checkSize: true };
 * ```
 */
export interface ExecCallChecks {
  /**
   * Also reject argv and env that together exceed `MAX_COMMAND_BYTES` (`assertCommandSize`):
   * for a provider that hands them to its backend as they are. One that wraps them (adds its
   * own arguments, carries env or stdin in argv) checks the command it builds instead.
   * @default false
   */
  checkSize?: boolean;
  /**
   * The provider feeds an `AsyncIterable` stdin as it yields (`capabilities.stdinStream`).
   * Without it such a stdin is `UNSUPPORTED` before any work.
   * @default false
   */
  stdinStream?: boolean;
}

/**
 * Checks the arguments of `exec()`/`execStream()` (`instanceId`, `argv`, options) and returns
 * copies of argv and options to use instead of the caller's (read once: a getter cannot answer
 * differently later). Every provider's one path for exec input.
 *
 * @example
 * ```ts
 * import { readExecCall } from "@vm/provider-kit";
 * const { argv, options } = readExecCall("abc", ["echo", "hi"], undefined, { provider: "docker", operation: "instances.exec" }, { checkSize: true });
 * ```
 */
export function readExecCall(
  instanceId: unknown,
  argv: unknown,
  options: unknown,
  ctx: ErrorContext,
  checks: ExecCallChecks = {},
): { argv: string[]; options: ExecOptions | undefined } {
  assertId(instanceId, ctx, "instanceId");
  const argvCopy = readArgv(argv, ctx);
  const optionsCopy = readExecOptions(options, ctx);
  if (checks.checkSize === true) assertCommandSize(argvCopy, optionsCopy?.env, ctx);
  if (checks.stdinStream !== true && isAsyncIterable(optionsCopy?.stdin)) {
    throw new VMError("UNSUPPORTED", `${ctx.provider} cannot feed stdin as it arrives (capabilities.stdinStream is false): pass a string or a Uint8Array`, ctx);
  }
  return { argv: argvCopy, options: optionsCopy };
}

const BOOT_KEYS = ["ttl_seconds", "ttl_action", "metadata", "resources", "timeoutMs", "signal"] as const;

/**
 * Checks `boot()` options and returns a copy: `ttl_seconds` a whole number from 1 to
 * `MAX_TTL_SECONDS`, `ttl_action` `"stop"`, `"pause"` or `"terminate"` (`"pause"` only where `checks.ttlPause`, else `UNSUPPORTED`; only with `ttl_seconds`: a TTL action without a TTL is
 * `INVALID_ARGUMENT` on every provider, not ignored),
 * `metadata` (`assertMetadata`), `resources` (`readResources`), `timeoutMs` from 1 to
 * `MAX_TIMEOUT_MS`, `signal` an `AbortSignal` (`ABORTED` if already aborted).
 *
 * @example
 * ```ts
 * import { readBootOptions } from "@vm/provider-kit";
 * const options = readBootOptions({ ttl_seconds: 60 }, { provider: "docker", operation: "instances.boot" });
 * ```
 */
export function readBootOptions(options: unknown, ctx: ErrorContext, checks: { ttlPause?: boolean } = {}): BootOptions {
  const o = readOptionsObject(options, ctx, "options", BOOT_KEYS) ?? {};
  if (o.ttl_seconds !== undefined) assertInteger(o.ttl_seconds, ctx, "ttl_seconds", 1, MAX_TTL_SECONDS);
  if (o.ttl_action !== undefined && o.ttl_action !== "stop" && o.ttl_action !== "pause" && o.ttl_action !== "terminate") throw invalid(ctx, 'ttl_action must be "stop", "pause" or "terminate"');
  if (o.ttl_action !== undefined && o.ttl_seconds === undefined) throw invalid(ctx, "ttl_action needs ttl_seconds");
  if (o.ttl_action === "pause" && checks.ttlPause !== true) {
    throw new VMError("UNSUPPORTED", `${ctx.provider} cannot pause an instance when its TTL runs out (capabilities.ttlPause is false): use "stop" or "terminate"`, ctx);
  }
  if (o.metadata !== undefined) o.metadata = readMetadata(o.metadata, ctx);
  if (o.resources !== undefined) o.resources = readResources(o.resources, ctx);
  if (o.timeoutMs !== undefined) assertInteger(o.timeoutMs, ctx, "timeoutMs", 1, MAX_TIMEOUT_MS);
  assertSignal(o.signal, ctx);
  return o;
}

/**
 * Checks `instances.list()` filters and returns them normalised (`status` always an array of
 * known statuses).
 *
 * @example
 * ```ts
 * import { readInstanceFilters } from "@vm/provider-kit";
 * const filters = readInstanceFilters({ status: "ready" }, { provider: "docker", operation: "instances.list" });
 * console.log(filters.status); // ["ready"]
 * ```
 */
export function readInstanceFilters(filters: unknown, ctx: ErrorContext): { status?: InstanceStatus[]; metadata?: Record<string, string> } {
  const o = readOptionsObject(filters, ctx, "filters", ["status", "metadata"] satisfies (keyof InstanceFilters)[]) ?? {};
  const result: { status?: InstanceStatus[]; metadata?: Record<string, string> } = {};
  if (o.metadata !== undefined) result.metadata = readMetadata(o.metadata, ctx);
  if (o.status !== undefined) {
    let list: unknown[];
    if (typeof o.status === "string") list = [o.status];
    else if (Array.isArray(o.status)) list = readArgvLike(o.status, ctx, "status");
    else throw invalid(ctx, `status must be a status or an array of statuses, got ${kind(o.status)}`);
    for (const status of list) {
      if (typeof status !== "string" || !INSTANCE_STATUSES.includes(status as InstanceStatus)) {
        throw invalid(ctx, `unknown status filter ${typeof status === "string" ? JSON.stringify(status.slice(0, 64)) : kind(status)}; known: ${INSTANCE_STATUSES.join(", ")}`);
      }
    }
    result.status = list as InstanceStatus[];
  }
  return result;
}

function readArgvLike(list: unknown[], ctx: ErrorContext, what: string): unknown[] {
  try {
    return Array.from({ length: list.length }, (_, index) => (Object.hasOwn(list, index) ? list[index] : undefined));
  } catch {
    throw invalid(ctx, `${what} could not be read`);
  }
}

function assertDigest(digest: unknown, ctx: ErrorContext): asserts digest is string {
  if (typeof digest !== "string" || digest.length === 0 || digest.length > MAX_DIGEST_LENGTH || digest.includes("\0")) {
    throw invalid(ctx, `digest must be a non-empty NUL-free string of at most ${MAX_DIGEST_LENGTH} characters, got ${kind(digest)}`);
  }
}

/**
 * Checks `snapshots.list()` filters (`metadata`, `digest`) and returns a copy.
 *
 * @example
 * ```ts
 * import { readSnapshotFilters } from "@vm/provider-kit";
 * const filters = readSnapshotFilters({ digest: "deps-v1" }, { provider: "docker", operation: "snapshots.list" });
 * ```
 */
export function readSnapshotFilters(filters: unknown, ctx: ErrorContext): SnapshotFilters {
  const o = readOptionsObject(filters, ctx, "filters", ["metadata", "digest"] satisfies (keyof SnapshotFilters)[]) ?? {};
  if (o.metadata !== undefined) o.metadata = readMetadata(o.metadata, ctx);
  if (o.digest !== undefined) assertDigest(o.digest, ctx);
  return o;
}

/**
 * Checks `snapshots.create()` options (`metadata`, `digest`: a non-empty NUL-free string of
 * at most `MAX_DIGEST_LENGTH` characters) and returns a copy. `resources` is an unknown key
 * here: a snapshot of an instance keeps the instance's (see `readFromImageOptions`).
 *
 * @example
 * ```ts
 * import { readCreateSnapshotOptions } from "@vm/provider-kit";
 * const options = readCreateSnapshotOptions({ digest: "deps-v1" }, { provider: "docker", operation: "snapshots.create" });
 * ```
 */
export function readCreateSnapshotOptions(options: unknown, ctx: ErrorContext): CreateSnapshotOptions {
  return readSnapshotOptions(options, ctx, ["metadata", "digest"] satisfies (keyof CreateSnapshotOptions)[]);
}

/**
 * Checks `snapshots.fromImage()` options: those of `readCreateSnapshotOptions` plus
 * `resources` (`readResources`), and returns a copy.
 *
 * @example
 * ```ts
 * import { readFromImageOptions } from "@vm/provider-kit";
 * const options = readFromImageOptions({ resources: { memoryMb: 1024 } }, { provider: "docker", operation: "snapshots.fromImage" });
 * ```
 */
export function readFromImageOptions(options: unknown, ctx: ErrorContext): FromImageOptions {
  return readSnapshotOptions(options, ctx, ["metadata", "digest", "resources"] satisfies (keyof FromImageOptions)[]);
}

function readSnapshotOptions(options: unknown, ctx: ErrorContext, keys: readonly string[]): FromImageOptions {
  const o = readOptionsObject(options, ctx, "options", keys) ?? {};
  if (o.metadata !== undefined) o.metadata = readMetadata(o.metadata, ctx);
  if (o.digest !== undefined) assertDigest(o.digest, ctx);
  if (o.resources !== undefined) o.resources = readResources(o.resources, ctx);
  return o;
}

/**
 * Rejects `writeFileAtomic` options that are not a plain object of plain values (no getters,
 * no unknown keys), or hold a non-octal `mode`, an `owner`/`group` that is not a name or
 * numeric id, a non-boolean `createDirs`, or a bad `signal`/`timeoutMs` (see
 * `assertFileOperationOptions`).
 *
 * @example
 * ```ts
 * import { assertAtomicWriteOptions } from "@vm/provider-kit";
 * assertAtomicWriteOptions({ mode: "600", owner: "root" }, { provider: "docker", operation: "files.writeFileAtomic" });
 * ```
 */
export function assertAtomicWriteOptions(
  options: unknown,
  ctx: ErrorContext,
): asserts options is { mode?: string; createDirs?: boolean; owner?: string; group?: string; signal?: AbortSignal; timeoutMs?: number } | undefined {
  const copy = readFileOperationOptions(options, ctx, ["mode", "createDirs", "owner", "group"]);
  if (copy === undefined) return;
  const { mode, createDirs, owner, group } = copy;
  if (mode !== undefined) assertMode(mode, ctx);
  if (owner !== undefined) assertPrincipal(owner, ctx, "owner");
  if (group !== undefined) assertPrincipal(group, ctx, "group");
  if (createDirs !== undefined && typeof createDirs !== "boolean") throw invalid(ctx, `createDirs must be a boolean, got ${kind(createDirs)}`);
}

/**
 * Rejects file-operation options (`{ signal, timeoutMs }`, the last argument of every file
 * method) that are not a plain object of plain values with known keys, hold a `signal` that is
 * not an `AbortSignal` or a `timeoutMs` that is not a whole number from 1 to 2147483647
 * (`INVALID_ARGUMENT`); an already-aborted signal is `ABORTED`. Either way before any work is
 * done. `extraKeys` names the method's own options (e.g. `createDirectory`'s `recursive`).
 *
 * @example
 * ```ts
 * import { assertFileOperationOptions } from "@vm/provider-kit";
 * assertFileOperationOptions({ timeoutMs: 5_000 }, { provider: "docker", operation: "files.readFile" });
 * ```
 */
export function assertFileOperationOptions(
  options: unknown,
  ctx: ErrorContext,
  extraKeys: readonly string[] = [],
): asserts options is { signal?: AbortSignal; timeoutMs?: number } | undefined {
  readFileOperationOptions(options, ctx, extraKeys);
}

/** Reads file-operation options into a checked copy (see `assertFileOperationOptions`). */
function readFileOperationOptions(options: unknown, ctx: ErrorContext, extraKeys: readonly string[]): Record<string, unknown> | undefined {
  const copy = readOptionsObject(options, ctx, "options", ["signal", "timeoutMs", ...extraKeys]);
  if (copy === undefined) return undefined;
  const { signal, timeoutMs } = copy;
  if (timeoutMs !== undefined) assertInteger(timeoutMs, ctx, "timeoutMs", 1, 2_147_483_647);
  assertSignal(signal, ctx);
  return copy;
}
