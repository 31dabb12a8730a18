import { constants as bufferConstants } from "node:buffer";
import { posix } from "node:path";
import type { Readable } from "node:stream";
import type { AtomicWriteOptions, FileContent, FileOperationOptions, VMFileService } from "@vm/core";
import {
  FILE_DISCARD_PARTIAL_SCRIPT,
  FILE_SCRIPT_NAME,
  type FileCallBound,
  VMError,
  assertAbsolutePath,
  assertAtomicWriteOptions,
  assertFileContent,
  assertFileOperationOptions,
  assertId,
  fileCallBound,
  fileErrorFromExecResult,
  fileWriteArgv,
  createExecFileService,
  isVMError,
  tempFileSuffix,
} from "@vm/provider-kit";
import { pack } from "tar-stream";
import type { DockerContext } from "../context.js";
import type { ManagedInstance } from "../containers.js";
import { fromDockerError } from "../errors.js";
import { runExec } from "../exec.js";
import { createFirstEntryParser } from "../tar.js";
import type { FirstEntryLimit, TarEntry, TarErrorContext } from "../tar.js";

/**
 * Most symbolic links `readFile`/`readFileBytes` follow from the requested path to the file
 * (the archive API returns a link, not its target); one more is INVALID_ARGUMENT.
 */
export const MAX_SYMLINK_HOPS = 16;

/**
 * Default `maxFileBytes`: the largest file `readFile`/`readFileBytes` read into memory, 1 GiB.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_FILE_BYTES, createDockerVMProvider } from "@vm/provider-docker";
 * const provider = createDockerVMProvider({ maxFileBytes: 4 * DEFAULT_MAX_FILE_BYTES });
 * ```
 */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024;

// The bound of a clean-up exec after a stopped write: the caller's own bound has run out.
const CLEANUP_TIMEOUT_MS = 30_000;

/** Whether the engine answered an archive request 500 with a message matching `pattern`. */
function engineRefused(err: unknown, pattern: RegExp): boolean {
  const e = err as { statusCode?: unknown; message?: unknown } | null;
  return e !== null && typeof e === "object" && e.statusCode === 500 && typeof e.message === "string" && pattern.test(e.message);
}

/**
 * The engine resolves an archive path on the host, under its own data directory
 * (`/var/lib/docker/overlay2/<id>/merged/...`), so a path close to the 4095-byte limit can be
 * too long there while it is fine inside the instance: it answers 500 "file name too long".
 */
const hostPathTooLong = (err: unknown) => engineRefused(err, /file name too long/i);

// The engine's archive API sees the container's own filesystem and the mounts the engine made
// (volumes, binds, /etc/hosts), not the kernel filesystems mounted inside the container. A file
// written to /dev/shm through it landed in the image's empty /dev/shm directory, hidden under
// the tmpfs the instance's processes see; /proc files read as missing. Paths there go
// through exec, which sees what the instance's processes see.
const KERNEL_MOUNTS = ["/dev", "/proc", "/sys"];

/** Whether `path` is on a filesystem mounted inside the container (see KERNEL_MOUNTS). */
function insideKernelMount(path: string): boolean {
  const normal = posix.normalize(path);
  return KERNEL_MOUNTS.some((m) => normal === m || normal.startsWith(`${m}/`));
}

/**
 * The archive upload replaces a file by unlinking it first, which a mount point refuses: the
 * engine's bind-mounted /etc/hosts, /etc/resolv.conf, /etc/hostname ("unlinkat /etc/hosts:
 * device or resource busy"). Written in place through exec, they take new content fine.
 */
const isMountPoint = (err: unknown) => engineRefused(err, /device or resource busy/i);

/**
 * Whether an archive upload failed for lack of space while it wrote `path` itself ("write
 * /tmp/a.bin: no space left on device"). The extraction removes an existing file before it
 * creates the new one, so what is at `path` then is the partial new file, never the old one.
 */
function partialWriteOf(err: unknown, path: string): boolean {
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof message !== "string") return false;
  const match = /\bwrite (\/.*): no space left on device/i.exec(message);
  return match !== null && posix.normalize(match[1] ?? "") === posix.normalize(path);
}

function toBuffer(content: FileContent): Buffer {
  // A view, not a copy: a 256 MiB Uint8Array stays one allocation.
  return typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
}

/**
 * Reads the first entry of the archive response, then closes it: the body is copied from
 * each `data` chunk into one preallocated buffer (no tar library, no pipe), and nothing
 * after the entry is read.
 */
function firstEntry(stream: Readable, ectx: TarErrorContext, limit: FirstEntryLimit, bound: FileCallBound): Promise<TarEntry | undefined> {
  const parser = createFirstEntryParser(ectx, limit);
  const signal = bound.signal();
  return new Promise((resolve, reject) => {
    let settled = false;
    // The call's timeout or signal ends the download (the stream is destroyed: the request goes).
    const onAbort = () => settle(() => reject(bound.reason()));
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      stream.off("data", onData);
      if (!stream.destroyed) stream.destroy();
      fn();
    };
    const onData = (chunk: Buffer) => {
      try {
        const done = parser.push(chunk);
        if (done) settle(() => resolve(done.entry));
      } catch (err) {
        settle(() => reject(err instanceof Error ? err : new Error(String(err))));
      }
    };
    const onEnd = () => {
      try {
        const done = parser.end();
        settle(() => resolve(done.entry));
      } catch (err) {
        settle(() => reject(err instanceof Error ? err : new Error(String(err))));
      }
    };
    stream.on("data", onData);
    stream.on("end", onEnd);
    // A close without an end is a connection cut mid-archive: end() reports what is missing.
    stream.on("close", onEnd);
    stream.on("error", (err) => settle(() => reject(signal.aborted ? bound.reason() : fromDockerError(err, ectx))));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Files over the engine's archive API (reads, plain writes: binary-safe, streamed, one
 * request each), `writeFileAtomic` as one exec streaming the bytes on stdin into a fixed
 * script (temp file, mode, owner, rename), and the rest via `@vm/provider-kit`'s exec scripts.
 */
export function createFileService(ctx: DockerContext, ensureManaged: (instanceId: string, operation: string) => Promise<ManagedInstance>): VMFileService {
  const provider = ctx.provider;
  const viaExec = createExecFileService({
    provider,
    stdin: true,
    exec: async (instanceId, argv, options) => {
      const { env: instanceEnv } = await ensureManaged(instanceId, "files.exec");
      return runExec(ctx, { instanceId, argv, instanceEnv, options: options ?? {}, operation: "files.exec" });
    },
  });

  function check(operation: string, instanceId: unknown, path: unknown): asserts path is string {
    const ectx = { provider, operation };
    assertId(instanceId, ectx, "instanceId");
    assertAbsolutePath(path, ectx);
  }

  /** Validates the call's `{ signal, timeoutMs }` and starts its bound (see `fileCallBound`). */
  function boundOf(operation: string, path: string, options: unknown): FileCallBound {
    assertFileOperationOptions(options, { provider, operation });
    return fileCallBound(options, { provider, operation }, path);
  }

  /** An engine request that failed because the call's signal or timeout aborted it reports that. */
  function requestError(err: unknown, bound: FileCallBound, operation: string, path: string): VMError {
    if (bound.signal().aborted) return bound.reason();
    return fromDockerError(err, { provider, operation, subject: JSON.stringify(path) });
  }

  /** The largest file `operation` reads, and the error past it (naming the limit, not the content). */
  function readLimit(path: string, operation: string): FirstEntryLimit {
    const asText = operation === "files.readFile";
    const maxBytes = asText ? Math.min(ctx.maxFileBytes, bufferConstants.MAX_STRING_LENGTH) : ctx.maxFileBytes;
    const which = asText && maxBytes < ctx.maxFileBytes ? `the longest string V8 can hold (${maxBytes} bytes); use readFileBytes` : `maxFileBytes (${maxBytes} bytes)`;
    return {
      maxBytes,
      tooLarge: (size) => new VMError("INVALID_ARGUMENT", `${operation} ${JSON.stringify(path)}: the file is ${size} bytes, more than ${which}`, { provider, operation }),
    };
  }

  async function readBytes(instanceId: string, path: string, operation: string, bound: FileCallBound): Promise<Buffer> {
    await ensureManaged(instanceId, operation);
    const container = ctx.docker.getContainer(instanceId);
    const limit = readLimit(path, operation);
    let current = path;
    for (let hop = 0; hop <= MAX_SYMLINK_HOPS; hop++) {
      if (insideKernelMount(current)) return readViaExec(instanceId, current, operation, limit, bound);
      let stream: Readable;
      try {
        bound.step();
        stream = (await container.getArchive({ path: current, abortSignal: bound.signal() })) as unknown as Readable;
      } catch (err) {
        if (isVMError(err)) throw err;
        if (hostPathTooLong(err)) return readViaExec(instanceId, current, operation, limit, bound);
        const vmErr = requestError(err, bound, operation, path);
        if (vmErr.code === "NOT_FOUND") {
          // The engine resolves the path in the image's filesystem, where a parent that is a
          // symbolic link into a kernel filesystem (/tmp/shm -> /dev/shm) leads nowhere. Exec
          // sees what the instance sees: ask it before saying NOT_FOUND (a miss costs an exec).
          const seen = await readViaExec(instanceId, current, operation, limit, bound).catch((execErr: unknown) => {
            // What exec found out about the file itself (a directory, too large, a FIFO) is the
            // answer, and so is the call's own timeout or abort.
            if (isVMError(execErr) && ["INVALID_ARGUMENT", "TIMEOUT", "ABORTED"].includes(execErr.code)) throw execErr;
            return undefined;
          });
          if (seen) return seen;
        }
        throw vmErr;
      }
      const entry = await firstEntry(stream, { provider, operation }, limit, bound);
      // The engine's tar has no entry type for a Unix socket: it sends an empty archive. Exec
      // tells what is there (a socket is refused by the read script without being opened).
      if (!entry) return readViaExec(instanceId, current, operation, limit, bound);
      if (entry.kind === "file") return entry.data;
      if (entry.kind === "directory") throw new VMError("INVALID_ARGUMENT", `${operation} ${JSON.stringify(path)}: is a directory (a file was expected)`, { provider, operation });
      if (entry.kind === "other") throw new VMError("INVALID_ARGUMENT", `${operation} ${JSON.stringify(path)}: is a ${entry.type}, not a regular file`, { provider, operation });
      current = posix.resolve(posix.dirname(current), entry.target);
    }
    throw new VMError("INVALID_ARGUMENT", `${operation} ${JSON.stringify(path)}: more than ${MAX_SYMLINK_HOPS} symbolic links to follow`, { provider, operation });
  }

  /** The exec-based read (base64 chunks) for a path the engine cannot resolve on its host; same limit. */
  async function readViaExec(instanceId: string, path: string, operation: string, limit: FirstEntryLimit, bound: FileCallBound): Promise<Buffer> {
    try {
      // stat opens nothing: a FIFO or device is refused by the read script, before it opens it.
      const stat = await runExec(ctx, { instanceId, argv: ["stat", "-L", "-c", "%s", "--", path], options: bound.step(), operation });
      // A failing stat (missing, not allowed) is reported by the read below, with the usual codes.
      if (stat.exit_code === 0 && Number(stat.stdout.trim()) > limit.maxBytes) throw limit.tooLarge(Number(stat.stdout.trim()));
      const bytes = await viaExec.readFileBytes(instanceId, path, bound.step());
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      throw bound.translate(err);
    }
  }

  /** The exec-based (in-place) write, within this call's bound. */
  async function writeViaExec(instanceId: string, path: string, data: Buffer, bound: FileCallBound): Promise<void> {
    try {
      await viaExec.writeFile(instanceId, path, data, bound.step());
    } catch (err) {
      throw bound.translate(err);
    }
  }

  /**
   * Removes what a stopped archive upload left at `path` (see FILE_DISCARD_PARTIAL_SCRIPT: only
   * an incomplete regular file changed since the upload began). Best effort, with its own bound.
   */
  async function discardPartial(instanceId: string, path: string, size: number, started: number): Promise<void> {
    const seconds = String(Math.ceil((Date.now() - started) / 1000) + 2);
    const argv = ["bash", "-c", FILE_DISCARD_PARTIAL_SCRIPT, FILE_SCRIPT_NAME, path, String(size), seconds];
    await runExec(ctx, { instanceId, argv, options: { timeoutMs: CLEANUP_TIMEOUT_MS }, operation: "files.writeFile" }).catch(() => undefined);
  }

  return {
    async readFile(instanceId, path, options) {
      check("files.readFile", instanceId, path);
      const bytes = await readBytes(instanceId, path, "files.readFile", boundOf("files.readFile", path, options));
      return new TextDecoder("utf-8").decode(bytes);
    },

    async readFileBytes(instanceId, path, options) {
      check("files.readFileBytes", instanceId, path);
      return readBytes(instanceId, path, "files.readFileBytes", boundOf("files.readFileBytes", path, options));
    },

    async writeFile(instanceId, path, content, options) {
      const operation = "files.writeFile";
      check(operation, instanceId, path);
      assertFileContent(content, { provider, operation });
      const bound = boundOf(operation, path, options);
      const name = posix.basename(path);
      if (name === "" || name === "." || name === ".." || path.endsWith("/")) {
        throw new VMError("INVALID_ARGUMENT", `${operation} ${JSON.stringify(path)}: not a file path`, { provider, operation });
      }
      await ensureManaged(instanceId, operation);
      const data = toBuffer(content);
      if (insideKernelMount(path)) return writeViaExec(instanceId, path, data, bound);
      const tar = pack();
      tar.entry({ name, size: data.length, mode: 0o644, mtime: new Date(), uid: 0, gid: 0 }, data);
      tar.finalize();
      const started = Date.now();
      // Whether the archive started to flow to the engine (the request piped it: tar-stream's
      // streamx emits "piping"; a "data" listener would start the flow itself). Before that, a
      // stopped upload changed nothing.
      let sent = false;
      tar.once("piping", () => {
        sent = true;
      });
      try {
        // One request: the tar is generated while it uploads. The parent must exist (404 otherwise).
        bound.step();
        await ctx.docker.getContainer(instanceId).putArchive(tar as unknown as NodeJS.ReadableStream, {
          path: posix.dirname(path),
          noOverwriteDirNonDir: true,
          abortSignal: bound.signal(),
        });
      } catch (err) {
        if (isVMError(err)) throw err;
        if (bound.signal().aborted) {
          // The engine unlinks the old file as soon as it reads the entry's header and writes
          // the new one in place: an upload cut short leaves a partial file, which goes.
          if (sent) await discardPartial(instanceId, path, data.length, started);
          throw bound.reason();
        }
        if (hostPathTooLong(err) || isMountPoint(err)) return writeViaExec(instanceId, path, data, bound);
        const vmErr = fromDockerError(err, { provider, operation, subject: JSON.stringify(path) });
        if (vmErr.code === "NOT_FOUND") {
          throw new VMError("NOT_FOUND", `${operation} ${JSON.stringify(path)}: the parent directory does not exist`, { provider, operation, cause: err });
        }
        if (vmErr.code === "RESOURCE_EXHAUSTED" && partialWriteOf(err, path)) {
          // No partial file: like the exec-based writeFile, a failed write leaves nothing at the path.
          const removed = await viaExec.deleteFile(instanceId, path).then(
            () => true,
            () => false,
          );
          throw new VMError("RESOURCE_EXHAUSTED", `${vmErr.message}${removed ? "; the partial file was removed" : "; the partial file could not be removed"}`, {
            provider,
            operation,
            cause: err,
          });
        }
        throw vmErr;
      }
    },

    async writeFileAtomic(instanceId, path, content, options?: AtomicWriteOptions) {
      const operation = "files.writeFileAtomic";
      check(operation, instanceId, path);
      assertFileContent(content, { provider, operation });
      assertAtomicWriteOptions(options, { provider, operation });
      const bound = fileCallBound(options, { provider, operation }, path);
      const { mode, createDirs, owner, group } = options ?? {};
      const step = { how: "atomic", path, suffix: tempFileSuffix(), mode, createDirs, owner, group } as const;
      await ensureManaged(instanceId, operation);
      let result;
      try {
        result = await runExec(ctx, { instanceId, argv: fileWriteArgv({ ...step, phase: "all", source: "stdin" }), options: { ...bound.step(), stdin: toBuffer(content) }, operation });
      } catch (err) {
        if (isVMError(err) && (err.code === "TIMEOUT" || err.code === "ABORTED") && bound.stopped()) {
          // The killed script (SIGKILL: no trap ran) left its temp file, named after this suffix.
          await runExec(ctx, { instanceId, argv: fileWriteArgv({ ...step, phase: "abort", source: "stdin" }), options: { timeoutMs: CLEANUP_TIMEOUT_MS }, operation }).catch(
            () => undefined,
          );
        }
        throw bound.translate(err);
      }
      if (result.exit_code !== 0) throw fileErrorFromExecResult(result, { provider, operation, path });
    },

    copyFile: (instanceId, source, destination, options) => viaExec.copyFile(instanceId, source, destination, options),
    moveFile: (instanceId, source, destination, options) => viaExec.moveFile(instanceId, source, destination, options),
    deleteFile: (instanceId, path, options) => viaExec.deleteFile(instanceId, path, options),
    fileExists: (instanceId, path, options) => viaExec.fileExists(instanceId, path, options),
    createDirectory: (instanceId, path, options) => viaExec.createDirectory(instanceId, path, options),
    listDirectory: (instanceId, path, options?: FileOperationOptions) => viaExec.listDirectory(instanceId, path, options),
    isDirectory: (instanceId, path, options) => viaExec.isDirectory(instanceId, path, options),
    deleteDirectory: (instanceId, path, options) => viaExec.deleteDirectory(instanceId, path, options),
  };
}
