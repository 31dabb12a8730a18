import { VMError } from "./errors.js";

/**
 * Who is validating: used to fill `VMError.provider` and `VMError.operation`.
 *
 * @example
 * ```ts
 * import type { ErrorContext } from "@vm/provider-kit";
 * const ctx: ErrorContext = { provider: "docker", operation: "files.writeFile" };
 * ```
 */
export interface ErrorContext {
  provider: string;
  operation: string;
}

function invalid(ctx: ErrorContext, message: string): VMError {
  return new VMError("INVALID_ARGUMENT", message, ctx);
}

// A `Date`, a `Map` or a boxed string has no own entries and would pass as an empty record.
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

// Getters could throw (a TypeError where a VMError is due) or answer differently when read again.
function hasAccessor(value: object): boolean {
  return Object.values(Object.getOwnPropertyDescriptors(value)).some((d) => !("value" in d));
}

// Values are echoed in messages only through JSON.stringify and truncated, so a hostile
// value cannot forge log lines and a large one cannot flood them.
function show(value: unknown): string {
  // Numbers (and booleans, bigints) are shown: "-1" or "NaN" says what was wrong; other values only by type.
  const text = typeof value === "string" ? JSON.stringify(value) : typeof value === "number" || typeof value === "boolean" || typeof value === "bigint" ? `${typeof value} ${String(value)}` : typeof value;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Longest path, in UTF-8 bytes: Linux's `PATH_MAX` (4096) counts the terminating NUL, so the
 * kernel refuses a path of 4096 bytes (`ENAMETOOLONG`).
 */
export const MAX_PATH_BYTES = 4095;

/**
 * Longest file or directory name (one path component), in UTF-8 bytes: Linux's `NAME_MAX`.
 */
export const MAX_NAME_BYTES = 255;

/**
 * Longest single argv argument or `NAME=value` env entry, in UTF-8 bytes: Linux's
 * `MAX_ARG_STRLEN` (128 KiB) counts the terminating NUL. A longer one makes the kernel refuse
 * to start the command (`E2BIG`).
 */
export const MAX_ARGUMENT_BYTES = 128 * 1024 - 1;

/**
 * Largest argv plus env of one command, as `commandBytes()` counts it. Linux allows 2 MiB
 * (`ARG_MAX` with the usual 8 MiB stack limit) for the arguments and the environment of the
 * program it starts; 64 KiB of that is left for what the provider and the engine add (a
 * wrapper's arguments, `PATH`, `HOME`, `HOSTNAME`, the image's environment).
 */
export const MAX_COMMAND_BYTES = 2 * 1024 * 1024 - 64 * 1024;

/**
 * Longest id, in characters.
 */
export const MAX_ID_LENGTH = 256;

/**
 * Rejects anything that is not an absolute, NUL-free path of at most `MAX_PATH_BYTES` (4095)
 * bytes whose every name is at most `MAX_NAME_BYTES` (255) bytes: the kernel would refuse it.
 * Everything else (spaces, quotes, `$(...)`, newlines, unicode, leading dashes) is a legal
 * path and is used literally.
 *
 * @example
 * ```ts
 * import { assertAbsolutePath } from "@vm/provider-kit";
 * assertAbsolutePath("/app/config.json", { provider: "docker", operation: "files.readFile" });
 * ```
 */
export function assertAbsolutePath(path: unknown, ctx: ErrorContext, what = "path"): asserts path is string {
  if (typeof path !== "string") throw invalid(ctx, `${what} must be a string, got ${show(path)}`);
  if (!path.startsWith("/")) throw invalid(ctx, `${what} must be absolute (start with "/"), got ${show(path)}`);
  if (path.includes("\0")) throw invalid(ctx, `${what} must not contain NUL bytes`);
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_PATH_BYTES) throw invalid(ctx, `${what} is ${bytes} bytes; the limit is ${MAX_PATH_BYTES} bytes (Linux PATH_MAX)`);
  for (const name of path.split("/")) {
    const nameBytes = Buffer.byteLength(name);
    if (nameBytes > MAX_NAME_BYTES) {
      throw invalid(ctx, `${what} has a name of ${nameBytes} bytes (${show(name)}); the limit is ${MAX_NAME_BYTES} bytes per name (Linux NAME_MAX)`);
    }
  }
}

/**
 * Rejects modes that are not 3 or 4 octal digits (`"600"`, `"0755"`, `"4755"`).
 *
 * @example
 * ```ts
 * import { assertMode } from "@vm/provider-kit";
 * assertMode("600", { provider: "docker", operation: "files.writeFileAtomic" });
 * ```
 */
export function assertMode(mode: unknown, ctx: ErrorContext): asserts mode is string {
  if (typeof mode !== "string" || !/^[0-7]{3,4}$/.test(mode)) {
    throw invalid(ctx, `mode must be 3 or 4 octal digits such as "600", got ${show(mode)}`);
  }
}

/**
 * Rejects user or group names that are neither a POSIX-style name nor a numeric id.
 *
 * @example
 * ```ts
 * import { assertPrincipal } from "@vm/provider-kit";
 * assertPrincipal("www-data", { provider: "docker", operation: "files.writeFileAtomic" }, "owner");
 * ```
 */
export function assertPrincipal(name: unknown, ctx: ErrorContext, what = "user"): asserts name is string {
  if (typeof name !== "string" || !/^(?:[0-9]{1,10}|[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?)$/.test(name)) {
    throw invalid(ctx, `${what} must be a user/group name of at most 32 characters ([A-Za-z_][A-Za-z0-9_.-]*, plus an optional trailing $) or a numeric id from 0 to ${MAX_PRINCIPAL_ID}, got ${show(name)}`);
  }
  // Past 2^31 - 1 an id wraps in the kernel's 32-bit uid_t: 4294967295 is (uid_t)-1, "leave
  // unchanged" to setresuid (so the command stayed root), 4294967296 is 0. Runtimes refuse them.
  if (/^[0-9]+$/.test(name) && Number(name) > MAX_PRINCIPAL_ID) {
    throw invalid(ctx, `${what} must be a numeric id from 0 to ${MAX_PRINCIPAL_ID} (larger ids wrap around to other users, root included), got ${show(name)}`);
  }
}

/**
 * The largest numeric user or group id `assertPrincipal` accepts: 2^31 - 1, what container
 * runtimes accept; larger ids wrap around in the kernel's 32-bit `uid_t`.
 */
export const MAX_PRINCIPAL_ID = 2_147_483_647;

/**
 * Rejects an argv that is empty, not an array, or holds a non-string or a NUL byte.
 *
 * @example
 * ```ts
 * import { assertArgv } from "@vm/provider-kit";
 * assertArgv(["ls", "-la", "/app"], { provider: "docker", operation: "instances.exec" });
 * ```
 */
export function assertArgv(argv: unknown, ctx: ErrorContext): asserts argv is readonly string[] {
  if (!Array.isArray(argv)) throw invalid(ctx, `argv must be an array of strings, got ${show(argv)}`);
  if (argv.length === 0) throw invalid(ctx, "argv must not be empty");
  // A plain loop, not forEach: forEach skips the holes of a sparse array, which are no strings.
  for (let index = 0; index < argv.length; index++) {
    const arg: unknown = argv[index];
    if (typeof arg !== "string") throw invalid(ctx, `argv[${index}] must be a string, got ${show(arg)}`);
    if (arg.includes("\0")) throw invalid(ctx, `argv[${index}] must not contain NUL bytes`);
    const bytes = Buffer.byteLength(arg);
    if (bytes > MAX_ARGUMENT_BYTES) {
      throw invalid(ctx, `argv[${index}] is ${bytes} bytes; one argument may be at most ${MAX_ARGUMENT_BYTES} bytes (Linux MAX_ARG_STRLEN)`);
    }
  }
}

/**
 * Rejects env names that are not shell identifiers and values that are not NUL-free strings.
 * The values themselves never appear in the error: they may be secrets.
 *
 * @example
 * ```ts
 * import { assertEnv } from "@vm/provider-kit";
 * assertEnv({ NODE_ENV: "production" }, { provider: "docker", operation: "instances.exec" });
 * ```
 */
export function assertEnv(env: unknown, ctx: ErrorContext): asserts env is Record<string, string> {
  if (!isPlainObject(env) || hasAccessor(env)) throw invalid(ctx, "env must be a plain object of strings");
  for (const [name, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw invalid(ctx, `env name ${show(name)} is not a valid variable name`);
    if (typeof value !== "string") throw invalid(ctx, `env value for ${name} must be a string`);
    if (value.includes("\0")) throw invalid(ctx, `env value for ${name} must not contain NUL bytes`);
    const bytes = Buffer.byteLength(name) + 1 + Buffer.byteLength(value);
    if (bytes > MAX_ARGUMENT_BYTES) {
      throw invalid(ctx, `env entry ${name}=... is ${bytes} bytes; one entry may be at most ${MAX_ARGUMENT_BYTES} bytes (Linux MAX_ARG_STRLEN)`);
    }
  }
}

/**
 * What argv and env take in the kernel's argument area: every argument and every
 * `NAME=value` entry costs its UTF-8 bytes, its NUL and an 8-byte pointer. Compared with
 * `MAX_COMMAND_BYTES`.
 *
 * @example
 * ```ts
 * import { commandBytes } from "@vm/provider-kit";
 * commandBytes(["echo", "hi"], { A: "1" }); // (5 + 8) + (3 + 8) + (4 + 8) = 36
 * ```
 */
export function commandBytes(argv: readonly string[], env?: Readonly<Record<string, string>>): number {
  let total = 0;
  for (const arg of argv) total += Buffer.byteLength(arg) + 9;
  for (const [name, value] of Object.entries(env ?? {})) total += Buffer.byteLength(name) + Buffer.byteLength(value) + 10;
  return total;
}

/**
 * Rejects an argv and env (already checked with `assertArgv`/`assertEnv`) that together
 * exceed `MAX_COMMAND_BYTES`: the kernel would refuse to start the command.
 *
 * @example
 * ```ts
 * import { assertCommandSize } from "@vm/provider-kit";
 * assertCommandSize(["ls"], { HOME: "/root" }, { provider: "docker", operation: "instances.exec" });
 * ```
 */
export function assertCommandSize(argv: readonly string[], env: Readonly<Record<string, string>> | undefined, ctx: ErrorContext, what = "argv and env"): void {
  const bytes = commandBytes(argv, env);
  if (bytes > MAX_COMMAND_BYTES) {
    throw invalid(
      ctx,
      `${what} take ${bytes} bytes (each string's bytes, its NUL and an 8-byte pointer); the limit is ${MAX_COMMAND_BYTES} bytes (Linux ARG_MAX, 2 MiB, less 64 KiB for what the provider and the engine add)`,
    );
  }
}

/**
 * Rejects metadata that is not a flat object of NUL-free strings with non-empty keys.
 *
 * @example
 * ```ts
 * import { assertMetadata } from "@vm/provider-kit";
 * assertMetadata({ app: "demo" }, { provider: "docker", operation: "instances.boot" });
 * ```
 */
export function assertMetadata(metadata: unknown, ctx: ErrorContext): asserts metadata is Record<string, string> {
  if (!isPlainObject(metadata) || hasAccessor(metadata)) throw invalid(ctx, "metadata must be a plain object of strings");
  for (const [key, value] of Object.entries(metadata)) {
    if (key.length === 0 || key.includes("\0")) throw invalid(ctx, `metadata key ${show(key)} is not allowed`);
    if (typeof value !== "string" || value.includes("\0")) throw invalid(ctx, `metadata value for ${show(key)} must be a NUL-free string`);
  }
}

/**
 * Rejects ids that are not non-empty, NUL-free strings.
 *
 * @example
 * ```ts
 * import { assertId } from "@vm/provider-kit";
 * assertId("abc123", { provider: "docker", operation: "instances.get" }, "instanceId");
 * ```
 */
export function assertId(id: unknown, ctx: ErrorContext, what = "id"): asserts id is string {
  if (typeof id !== "string" || id.length === 0 || id.includes("\0")) {
    throw invalid(ctx, `${what} must be a non-empty NUL-free string, got ${show(id)}`);
  }
  if (id.length > MAX_ID_LENGTH) throw invalid(ctx, `${what} is ${id.length} characters; the limit is ${MAX_ID_LENGTH}`);
}

/**
 * Rejects anything but a whole number within `[min, max]`.
 *
 * @example
 * ```ts
 * import { assertInteger } from "@vm/provider-kit";
 * assertInteger(3, { provider: "docker", operation: "instances.fork" }, "count", 1, 64);
 * ```
 */
export function assertInteger(value: unknown, ctx: ErrorContext, what: string, min: number, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(ctx, `${what} must be a whole number from ${min} to ${max}, got ${show(value)}`);
  }
}

/**
 * Rejects file content that is neither a string nor a `Uint8Array` (a `Buffer` is one).
 * The content itself never appears in the error.
 *
 * @example
 * ```ts
 * import { assertFileContent } from "@vm/provider-kit";
 * assertFileContent(new Uint8Array([1, 2, 3]), { provider: "docker", operation: "files.writeFile" });
 * ```
 */
export function assertFileContent(content: unknown, ctx: ErrorContext): asserts content is string | Uint8Array {
  if (typeof content === "string") return;
  // The tag check also accepts a Uint8Array from another realm (e.g. a vm context).
  if (content instanceof Uint8Array || Object.prototype.toString.call(content) === "[object Uint8Array]") return;
  throw invalid(ctx, `content must be a string or a Uint8Array, got ${content === null ? "null" : typeof content}`);
}

