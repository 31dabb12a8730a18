import type { AtomicWriteOptions, CreateDirectoryOptions, ExecFunction, ExecOptions, FileContent, FileInfo, FileOperationOptions, VMFileService } from "@vm/core";
import { VMError, isVMError } from "../errors.js";
import { assertFileContent, assertId, assertInteger } from "../validate.js";
import { assertAtomicWriteOptions, assertFileOperationOptions } from "../validate-options.js";
import { type FileCallBound, fileCallBound } from "./bounds.js";
import { fileErrorFromExecResult } from "./file-error.js";
import {
  DEFAULT_MAX_ARG_BYTES,
  DEFAULT_MAX_READ_BYTES,
  DEFAULT_MAX_REQUEST_BYTES,
  MAX_ARG_STRLEN,
  MAX_REQUEST_BYTES_LIMIT,
  planBase64Batches,
} from "./limits.js";
import { parseListing } from "./listing.js";
import { assertFilePath, directoryPath } from "./paths.js";
import {
  FILE_COPY_SCRIPT,
  FILE_DELETE_DIRECTORY_SCRIPT,
  FILE_DELETE_SCRIPT,
  FILE_DISCARD_PARTIAL_SCRIPT,
  FILE_EXISTS_SCRIPT,
  FILE_IS_DIRECTORY_SCRIPT,
  FILE_LIST_SCRIPT,
  FILE_MKDIR_SCRIPT,
  FILE_MOVE_SCRIPT,
  FILE_READ_SCRIPT,
  FILE_SCRIPT_NAME,
} from "./scripts.js";
import { type FileWriteStep, argvBytes, fileWriteArgv, tempFileSuffix } from "./write-argv.js";

/**
 * Options for `createExecFileService()`.
 *
 * @example
 * ```ts
 * import type { ExecFunction } from "@vm/core";
 * import type { ExecFileServiceOptions } from "@vm/provider-kit";
 * declare const exec: ExecFunction;
 * const options: ExecFileServiceOptions = { provider: "morph", exec, stdin: false };
 * ```
 */
export interface ExecFileServiceOptions {
  /** Provider name, used as `VMError.provider`. */
  provider: string;
  /** Runs an argv in the instance (usually `provider.instances.exec`). */
  exec: ExecFunction;
  /**
   * `true` when `exec` honours `ExecOptions.stdin` for any size: content is sent as raw
   * bytes on stdin in one exec. `false`: content travels base64-encoded in argv chunks.
   */
  stdin: boolean;
  /**
   * Largest single argv argument in bytes (stdin: false); at most 128 KiB.
   *
   * @default `DEFAULT_MAX_ARG_BYTES` (120 KiB)
   */
  maxArgBytes?: number;
  /**
   * Largest whole argv of one exec in bytes (stdin: false); at most 2 MiB.
   *
   * @default `DEFAULT_MAX_REQUEST_BYTES` (1.5 MiB)
   */
  maxRequestBytes?: number;
  /**
   * Largest raw chunk one read exec returns.
   *
   * @default `DEFAULT_MAX_READ_BYTES` (3 MiB)
   */
  maxReadBytes?: number;
  /**
   * The provider's `capabilities.fileOwnership`. `false`: a `writeFileAtomic` with `owner` or
   * `group` fails `UNSUPPORTED` before any exec, and no call ever chowns (a file replaced or
   * copied over, even as root, is not given the old file's owner).
   *
   * @default true
   */
  fileOwnership?: boolean;
}

const READ_ATTEMPTS = 3;

// The bound of the clean-up exec after a failed or stopped write: it runs after the caller's
// signal fired or its time ran out, so it has its own, short bound.
const CLEANUP_TIMEOUT_MS = 30_000;

/**
 * Every `VMFileService` method over nothing but an exec function, with fixed bash scripts
 * whose inputs are positional arguments (no path, mode, owner or content is ever pasted
 * into script text). Inputs are validated before any exec (`INVALID_ARGUMENT`); script
 * failures become `NOT_FOUND`, `PERMISSION_DENIED`, `INVALID_ARGUMENT`, `ALREADY_EXISTS`
 * or `INTERNAL`. A FIFO, socket or device as the file to read or copy, or as the target of
 * an in-place write, is `INVALID_ARGUMENT` and is never opened. Every call is bounded by its
 * `timeoutMs` (default `DEFAULT_FILE_TIMEOUT_MS`) and `signal`, which go down to each exec
 * (`exec` kills the command); a stopped write removes what it left. Needs `bash`, coreutils (`base64`, `dd`, `stat`, `mv`, ...) and GNU
 * `find` in the instance.
 *
 * @example
 * ```ts
 * import type { VMInstanceService } from "@vm/core";
 * import { createExecFileService } from "@vm/provider-kit";
 *
 * function filesFor(instances: VMInstanceService) {
 *   return createExecFileService({ provider: "docker", exec: instances.exec.bind(instances), stdin: true });
 * }
 * ```
 */
export function createExecFileService(options: ExecFileServiceOptions): VMFileService {
  const setup = { provider: typeof options?.provider === "string" ? options.provider : "provider-kit", operation: "createExecFileService" };
  if (typeof options !== "object" || options === null) throw new VMError("INVALID_ARGUMENT", "options must be an object", setup);
  if (typeof options.provider !== "string" || options.provider.length === 0) {
    throw new VMError("INVALID_ARGUMENT", "options.provider must be a non-empty string", setup);
  }
  if (typeof options.exec !== "function") throw new VMError("INVALID_ARGUMENT", "options.exec must be a function", setup);
  if (typeof options.stdin !== "boolean") throw new VMError("INVALID_ARGUMENT", "options.stdin must be a boolean", setup);
  if (options.fileOwnership !== undefined && typeof options.fileOwnership !== "boolean") {
    throw new VMError("INVALID_ARGUMENT", "options.fileOwnership must be a boolean", setup);
  }
  const fileOwnership = options.fileOwnership ?? true;
  // Read by the file scripts: without ownership they never chown (see FILE_WRITE_SCRIPT).
  const scriptEnv: ExecOptions = fileOwnership ? {} : { env: { VM_FILES_NO_CHOWN: "1" } };
  const maxArgBytes = options.maxArgBytes ?? DEFAULT_MAX_ARG_BYTES;
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const maxReadBytes = options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
  assertInteger(maxArgBytes, setup, "maxArgBytes", 8, MAX_ARG_STRLEN);
  assertInteger(maxRequestBytes, setup, "maxRequestBytes", 16 * 1024, MAX_REQUEST_BYTES_LIMIT);
  assertInteger(maxReadBytes, setup, "maxReadBytes", 3, 64 * 1024 * 1024);

  const { provider, exec, stdin: useStdin } = options;

  function ctxOf(operation: string) {
    return { provider, operation: `files.${operation}` };
  }

  // Runs one script; a non-zero exit becomes the mapped VMError, a transport failure keeps
  // the provider's own VMError (e.g. the instance is gone).
  async function run(
    instanceId: string,
    operation: string,
    path: string,
    argv: string[],
    bound: FileCallBound | ExecOptions,
    execOptions?: ExecOptions,
  ): Promise<string> {
    const ctx = ctxOf(operation);
    const stepBound = "step" in bound ? bound : undefined;
    let result;
    try {
      result = await exec(instanceId, argv, { ...scriptEnv, ...execOptions, ...(stepBound ? stepBound.step() : (bound as ExecOptions)) });
    } catch (err) {
      if (isVMError(err)) throw stepBound ? stepBound.translate(err) : err;
      throw new VMError("INTERNAL", `${ctx.operation} ${JSON.stringify(path)}: exec failed`, { ...ctx, cause: err });
    }
    if (result.exit_code !== 0) throw fileErrorFromExecResult(result, { ...ctx, path });
    return result.stdout;
  }

  function scriptArgv(script: string, ...args: string[]): string[] {
    return ["bash", "-c", script, FILE_SCRIPT_NAME, ...args];
  }

  function malformed(operation: string, path: string): VMError {
    return new VMError("INTERNAL", `files.${operation} ${JSON.stringify(path)}: unexpected output from the file script`, ctxOf(operation));
  }

  /** Validates the id, the path and the call options, and starts the call's bound. */
  function begin(instanceId: unknown, operation: string, path: unknown, options: unknown, what = "path"): FileCallBound {
    const ctx = ctxOf(operation);
    assertId(instanceId, ctx, "instanceId");
    assertFilePath(path, ctx, what);
    assertFileOperationOptions(options, ctx);
    return fileCallBound(options, ctx, path);
  }

  /** `begin` for a directory operation: the path comes back without trailing slashes. */
  function beginDirectory(instanceId: unknown, operation: string, rawPath: unknown, options: unknown): { path: string; bound: FileCallBound } {
    const ctx = ctxOf(operation);
    assertId(instanceId, ctx, "instanceId");
    const path = directoryPath(rawPath, ctx);
    assertFileOperationOptions(options, ctx);
    return { path, bound: fileCallBound(options, ctx, path) };
  }

  async function yesNo(instanceId: string, operation: string, rawPath: string, script: string, options: FileOperationOptions | undefined): Promise<boolean> {
    const { path, bound } = beginDirectory(instanceId, operation, rawPath, options);
    const out = (await run(instanceId, operation, path, scriptArgv(script, path), bound)).trim();
    if (out !== "yes" && out !== "no") throw malformed(operation, path);
    return out === "yes";
  }

  async function readBytes(instanceId: string, operation: string, path: string, options: FileOperationOptions | undefined): Promise<Uint8Array> {
    const ctx = ctxOf(operation);
    const bound = begin(instanceId, operation, path, options);
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const chunks: Buffer[] = [];
      let offset = 0;
      let version: string | undefined;
      let changed = false;
      for (;;) {
        const out = await run(instanceId, operation, path, scriptArgv(FILE_READ_SCRIPT, path, String(offset), String(maxReadBytes)), bound);
        const newline = out.indexOf("\n");
        const header = /^([fo]) (\d+) (\S+)$/.exec(newline < 0 ? "" : out.slice(0, newline));
        const body = out.slice(newline + 1).trim();
        if (header === null || !/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw malformed(operation, path);
        const [, kind, sizeText, fileVersion] = header as unknown as [string, string, string, string];
        if (version !== undefined && version !== fileVersion) {
          changed = true;
          break;
        }
        version = fileVersion;
        const chunk = Buffer.from(body, "base64");
        chunks.push(chunk);
        offset += chunk.length;
        if (kind === "o") {
          // Pipes and devices have no size and may never end: one chunk (of up to maxReadBytes + 1 bytes, to see "more") is all we take.
          if (chunk.length > maxReadBytes) {
            throw new VMError("INVALID_ARGUMENT", `${ctx.operation} ${JSON.stringify(path)}: not a regular file and larger than ${maxReadBytes} bytes`, ctx);
          }
          break;
        }
        if (chunk.length < maxReadBytes || offset >= Number(sizeText)) break;
      }
      if (!changed) {
        const all = Buffer.concat(chunks);
        return new Uint8Array(all.buffer, all.byteOffset, all.length);
      }
    }
    throw new VMError("CONFLICT", `${ctx.operation} ${JSON.stringify(path)}: the file kept changing while it was read in chunks`, ctx);
  }

  function toBytes(content: FileContent): Uint8Array {
    return typeof content === "string" ? Buffer.from(content, "utf8") : content;
  }

  async function write(
    instanceId: string,
    operation: string,
    how: FileWriteStep["how"],
    path: string,
    content: FileContent,
    writeOptions: AtomicWriteOptions,
    bound: FileCallBound,
  ): Promise<void> {
    const bytes = toBytes(content);
    // size: every write publishes only content of exactly this length (see FILE_WRITE_SCRIPT).
    const base = { how, path, suffix: tempFileSuffix(), ...writeOptions, size: bytes.byteLength };
    const started = Date.now();
    // A write stopped by its timeout or signal was killed (SIGKILL on some providers: no trap
    // ran). Its temp files go; an in-place write's target goes if it was left incomplete.
    // Only when the call itself was stopped: a provider's own timeout of one exec (Morph's
    // HTTP bound) comes with the provider's own kill, and must not cost another request.
    const cleanUp = async (err: unknown, source: "stdin" | "base64") => {
      if (!isVMError(err) || (err.code !== "TIMEOUT" && err.code !== "ABORTED") || !bound.stopped()) return;
      const cleanup = { timeoutMs: CLEANUP_TIMEOUT_MS };
      await run(instanceId, operation, path, fileWriteArgv({ ...base, phase: "abort", source }), cleanup).catch(() => undefined);
      if (how === "inplace") {
        const seconds = String(Math.ceil((Date.now() - started) / 1000) + 2);
        await run(instanceId, operation, path, scriptArgv(FILE_DISCARD_PARTIAL_SCRIPT, path, String(bytes.byteLength), seconds), cleanup).catch(() => undefined);
      }
    };
    if (useStdin) {
      try {
        await run(instanceId, operation, path, fileWriteArgv({ ...base, phase: "all", source: "stdin" }), bound, { stdin: bytes });
      } catch (err) {
        await cleanUp(err, "stdin");
        throw err;
      }
      return;
    }
    const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
    // "append"/"commit" are the longest phase names, so this overhead covers every step.
    const overhead = argvBytes(fileWriteArgv({ ...base, phase: "commit", source: "base64" }));
    const capacity = maxRequestBytes - overhead;
    if (capacity < 5) {
      throw new VMError("INVALID_ARGUMENT", `files.${operation}: maxRequestBytes (${maxRequestBytes}) leaves no room for content`, ctxOf(operation));
    }
    const batches = planBase64Batches(b64.length, capacity, maxArgBytes);
    let cursor = 0;
    const piecesOf = (lengths: number[]) =>
      lengths.map((length) => {
        const piece = b64.slice(cursor, cursor + length);
        cursor += length;
        return piece;
      });
    if (batches.length === 1) {
      try {
        await run(instanceId, operation, path, fileWriteArgv({ ...base, phase: "all", source: "base64" }, piecesOf(batches[0] ?? [])), bound);
      } catch (err) {
        await cleanUp(err, "base64");
        throw err;
      }
      return;
    }
    try {
      for (const [index, lengths] of batches.entries()) {
        const phase = index === 0 ? "begin" : index === batches.length - 1 ? "commit" : "append";
        await run(instanceId, operation, path, fileWriteArgv({ ...base, phase, source: "base64" }, piecesOf(lengths)), bound);
      }
    } catch (err) {
      // A failing step already removed the temp file itself; this covers a transport failure
      // around a step that did run, and a step stopped by the call's timeout or signal (its own
      // bound: the caller's has run out). Best effort: the original error is what matters.
      if (isVMError(err) && (err.code === "TIMEOUT" || err.code === "ABORTED") && bound.stopped()) await cleanUp(err, "base64");
      else await run(instanceId, operation, path, fileWriteArgv({ ...base, phase: "abort", source: "base64" }), { timeoutMs: CLEANUP_TIMEOUT_MS }).catch(() => undefined);
      throw err;
    }
  }

  return {
    readFile: async (instanceId, path, options) => Buffer.from(await readBytes(instanceId, "readFile", path, options)).toString("utf8"),

    readFileBytes: (instanceId, path, options) => readBytes(instanceId, "readFileBytes", path, options),

    writeFile: async (instanceId, path, content, options) => {
      const bound = begin(instanceId, "writeFile", path, options);
      assertFileContent(content, ctxOf("writeFile"));
      await write(instanceId, "writeFile", "inplace", path, content, {}, bound);
    },

    writeFileAtomic: async (instanceId, path, content, writeOptions) => {
      const ctx = ctxOf("writeFileAtomic");
      assertAtomicWriteOptions(writeOptions, ctx);
      const bound = begin(instanceId, "writeFileAtomic", path, writeOptions && { signal: writeOptions.signal, timeoutMs: writeOptions.timeoutMs });
      assertFileContent(content, ctx);
      const { mode, createDirs, owner, group } = writeOptions ?? {};
      if (!fileOwnership && (owner !== undefined || group !== undefined)) {
        throw new VMError("UNSUPPORTED", `files.writeFileAtomic: ${provider} has no file ownership (capabilities.fileOwnership is false); leave out owner and group`, ctx);
      }
      await write(instanceId, "writeFileAtomic", "atomic", path, content, { mode, createDirs, owner, group }, bound);
    },

    copyFile: async (instanceId, source, destination, options) => {
      assertFilePath(destination, ctxOf("copyFile"), "destination");
      const bound = begin(instanceId, "copyFile", source, options, "source");
      await run(instanceId, "copyFile", source, scriptArgv(FILE_COPY_SCRIPT, source, destination), bound);
    },

    moveFile: async (instanceId, source, destination, options) => {
      assertFilePath(destination, ctxOf("moveFile"), "destination");
      const bound = begin(instanceId, "moveFile", source, options, "source");
      await run(instanceId, "moveFile", source, scriptArgv(FILE_MOVE_SCRIPT, source, destination), bound);
    },

    deleteFile: async (instanceId, path, options) => {
      const bound = begin(instanceId, "deleteFile", path, options);
      await run(instanceId, "deleteFile", path, scriptArgv(FILE_DELETE_SCRIPT, path), bound);
    },

    fileExists: (instanceId, path, options) => yesNo(instanceId, "fileExists", path, FILE_EXISTS_SCRIPT, options),

    createDirectory: async (instanceId, rawPath, recursiveOrOptions) => {
      const ctx = ctxOf("createDirectory");
      const { recursive, options } = createDirectoryOptions(recursiveOrOptions, ctx);
      const { path, bound } = beginDirectory(instanceId, "createDirectory", rawPath, options);
      await run(instanceId, "createDirectory", path, scriptArgv(FILE_MKDIR_SCRIPT, path, recursive ? "1" : "0"), bound);
    },

    listDirectory: async (instanceId, rawPath, options): Promise<FileInfo[]> => {
      const ctx = ctxOf("listDirectory");
      const { path, bound } = beginDirectory(instanceId, "listDirectory", rawPath, options);
      const out = await run(instanceId, "listDirectory", path, scriptArgv(FILE_LIST_SCRIPT, path), bound);
      const entries = parseListing(out, path, ctx);
      if (entries === undefined) throw malformed("listDirectory", path);
      return entries;
    },

    isDirectory: (instanceId, path, options) => yesNo(instanceId, "isDirectory", path, FILE_IS_DIRECTORY_SCRIPT, options),

    deleteDirectory: async (instanceId, rawPath, options) => {
      const ctx = ctxOf("deleteDirectory");
      const { path, bound } = beginDirectory(instanceId, "deleteDirectory", rawPath, options);
      // "/x/link/." names the link's target through the link: refused like the link itself.
      if (/\/\.\.?$/.test(path)) throw new VMError("INVALID_ARGUMENT", `path ${JSON.stringify(path.slice(0, 200))} ends with "." or "..": name the directory itself`, ctx);
      await run(instanceId, "deleteDirectory", path, scriptArgv(FILE_DELETE_DIRECTORY_SCRIPT, path), bound);
    },
  };
}

/**
 * `createDirectory`'s third argument: the boolean `recursive` (as before) or an options object
 * `{ recursive, signal, timeoutMs }`. Anything else is `INVALID_ARGUMENT`.
 */
function createDirectoryOptions(value: unknown, ctx: { provider: string; operation: string }): { recursive: boolean; options: FileOperationOptions | undefined } {
  if (value === undefined || typeof value === "boolean") return { recursive: value === true, options: undefined };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new VMError("INVALID_ARGUMENT", "the third argument must be a boolean (recursive) or an options object", ctx);
  }
  assertFileOperationOptions(value, ctx, ["recursive"]);
  const { recursive, signal, timeoutMs } = value as CreateDirectoryOptions;
  if (recursive !== undefined && typeof recursive !== "boolean") throw new VMError("INVALID_ARGUMENT", "recursive must be a boolean", ctx);
  return { recursive: recursive === true, options: { signal, timeoutMs } };
}
