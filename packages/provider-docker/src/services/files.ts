import { constants as bufferConstants } from "node:buffer";
import { posix } from "node:path";
import type { Readable } from "node:stream";
import type { AtomicWriteOptions, FileContent, FileOperationOptions, VMFileService } from "@vm/core";
import { VMError, assertAtomicWriteOptions, assertFileContent, assertFileOperationOptions, assertFilePath, assertId, createExecFileService, isVMError } from "@vm/provider-kit";
import {
  FILE_DISCARD_PARTIAL_SCRIPT,
  FILE_RESOLVE_READ_SCRIPT,
  FILE_RESOLVE_WRITE_SCRIPT,
  FILE_SCRIPT_NAME,
  type FileCallBound,
  fileCallBound,
  fileErrorFromExecResult,
  fileWriteArgv,
  tempFileSuffix,
} from "@vm/provider-kit/internal";
import { pack } from "tar-stream";
import type { DockerContext } from "../context.js";
import type { ManagedInstance } from "../containers.js";
import { fromDockerError } from "../errors.js";
import { runExec } from "../exec/run.js";
import { parseReadResolution, parseWriteResolution } from "./file-resolve.js";
import { createFirstEntryParser } from "../tar.js";
import type { FirstEntryLimit, TarEntry, TarErrorContext } from "../tar.js";

/**
 * Files up to this size are read and written through exec alone (one exec each, as fast as an
 * archive request at this size); larger ones go through the engine's archive API, which makes
 * big transfers fast, after one exec that resolves the path as the kernel in the container does.
 */
const ARCHIVE_MIN_BYTES = 1024 * 1024;

/** Most symbolic links a read of a stopped instance follows (the kernel's own limit, 40). */
const MAX_SYMLINK_HOPS = 40;


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

// Paths and the archive API: the engine cleans ".." lexically, resolves links in the image's
// filesystem, and does not see the kernel filesystems mounted inside the container (/dev/shm,
// /proc): a file written to /dev/shm through it landed in the image's empty /dev/shm
// directory, hidden under the tmpfs the instance's processes see. So it is only given a path
// the kernel has already resolved (FILE_RESOLVE_*_SCRIPT: no link, no "..") that lies on the
// container's root filesystem; anything else goes through exec, which sees what the instance's
// processes see.

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
 * Files with paths resolved as the kernel in the container resolves them. Reads: one exec
 * that resolves the path and returns a small file inline; a large file on the root
 * filesystem then comes over the engine's archive API (binary-safe, streamed, one request) on
 * the resolved path. Writes: a small file, and any existing one (written in place: it keeps its
 * inode, owner and mode), through the kit's exec write; a large new one through the archive
 * API on the resolved parent. `writeFileAtomic` is one exec streaming the bytes on
 * stdin into a fixed script (temp file, mode, owner, rename), and the rest is
 * `@vm/provider-kit`'s exec scripts.
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
    assertFilePath(path, ectx);
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

  /** Runs one FILE_RESOLVE_*_SCRIPT within the call's bound; a failure is the file error it classified. */
  async function resolve(instanceId: string, operation: string, path: string, bound: FileCallBound, script: string, ...args: string[]): Promise<string> {
    let result;
    try {
      result = await runExec(ctx, { instanceId, argv: ["bash", "-c", script, FILE_SCRIPT_NAME, path, ...args], options: bound.step(), operation });
    } catch (err) {
      throw bound.translate(err);
    }
    if (result.exit_code !== 0) throw fileErrorFromExecResult(result, { provider, operation, path });
    return result.stdout;
  }

  function malformed(operation: string, path: string): VMError {
    return new VMError("INTERNAL", `${operation} ${JSON.stringify(path)}: unexpected output from the path resolution script`, { provider, operation });
  }

  async function readBytes(instanceId: string, path: string, operation: string, bound: FileCallBound): Promise<Buffer> {
    await ensureManaged(instanceId, operation);
    const limit = readLimit(path, operation);
    let resolution: string;
    try {
      resolution = await resolve(instanceId, operation, path, bound, FILE_RESOLVE_READ_SCRIPT, String(ARCHIVE_MIN_BYTES));
    } catch (err) {
      // A stopped instance keeps its files (capabilities.stop) but runs no exec: the archive API reads it.
      if (isVMError(err) && err.code === "CONFLICT" && (await stopped(instanceId, operation))) return readStopped(instanceId, path, operation, limit, bound);
      throw err;
    }
    const found = parseReadResolution(resolution, ARCHIVE_MIN_BYTES);
    if (found === undefined) throw malformed(operation, path);
    // Not a regular file (a FIFO, socket or device: the resolution opened nothing): the exec
    // read refuses it, still without opening it.
    if (found.kind === "other") return readViaExec(instanceId, path, operation, limit, bound);
    if (found.size > limit.maxBytes) throw limit.tooLarge(found.size);
    // No more than inlineMax bytes: that was the whole file.
    if (found.inline !== undefined && found.inline.length <= ARCHIVE_MIN_BYTES) return found.inline;
    if (!found.onRoot || found.real === undefined) return readViaExec(instanceId, path, operation, limit, bound);
    let stream: Readable;
    try {
      bound.step();
      stream = (await ctx.docker.getContainer(instanceId).getArchive({ path: found.real, abortSignal: bound.signal() })) as unknown as Readable;
    } catch (err) {
      if (isVMError(err)) throw err;
      if (hostPathTooLong(err)) return readViaExec(instanceId, path, operation, limit, bound);
      throw requestError(err, bound, operation, path);
    }
    const entry = await firstEntry(stream, { provider, operation }, limit, bound);
    if (entry?.kind === "file") return entry.data;
    // The path changed between the resolution and the request (now a link, a directory, a
    // socket, for which the engine sends an empty archive): exec reads what is there now, with
    // the usual errors.
    return readViaExec(instanceId, path, operation, limit, bound);
  }

  /** Whether the instance's container runs (an inspect; a failure is the engine's error). */
  /** True for a stopped instance: its files are read through the archive API (a paused one's are not: CONFLICT, as for every call on it). */
  async function stopped(instanceId: string, operation: string): Promise<boolean> {
    try {
      const info = await ctx.docker.getContainer(instanceId).inspect();
      return !info.State.Running;
    } catch (err) {
      throw fromDockerError(err, { provider, operation, subject: `instance ${instanceId}` });
    }
  }

  /**
   * Reads a file of a stopped instance through the archive API alone. Nothing runs in the
   * container to resolve the path as its kernel would, so the engine resolves it (it cleans
   * ".." lexically and resolves links in the image's filesystem); a link in the last component
   * comes back as a link and is followed here, at most MAX_SYMLINK_HOPS times, like the kernel.
   */
  async function readStopped(instanceId: string, path: string, operation: string, limit: FirstEntryLimit, bound: FileCallBound): Promise<Buffer> {
    let current = path;
    for (let hop = 0; hop <= MAX_SYMLINK_HOPS; hop++) {
      let stream: Readable;
      try {
        bound.step();
        stream = (await ctx.docker.getContainer(instanceId).getArchive({ path: current, abortSignal: bound.signal() })) as unknown as Readable;
      } catch (err) {
        throw requestError(err, bound, operation, path);
      }
      const entry = await firstEntry(stream, { provider, operation }, limit, bound);
      if (entry?.kind === "file") return entry.data;
      if (entry?.kind === "symlink") {
        current = posix.resolve(posix.dirname(current), entry.target);
        continue;
      }
      if (entry?.kind === "directory") throw new VMError("INVALID_ARGUMENT", `${operation} ${JSON.stringify(path)}: is a directory (a file was expected)`, { provider, operation });
      throw new VMError("INVALID_ARGUMENT", `${operation} ${JSON.stringify(path)}: not a regular file (a FIFO, socket or device is never opened)`, { provider, operation });
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
      await ensureManaged(instanceId, operation);
      const data = toBuffer(content);
      if (data.length < ARCHIVE_MIN_BYTES) return writeViaExec(instanceId, path, data, bound);
      const found = parseWriteResolution(await resolve(instanceId, operation, path, bound, FILE_RESOLVE_WRITE_SCRIPT));
      if (found === undefined) throw malformed(operation, path);
      // Something that is not a file or a link (a FIFO) is written the exec way, with its rules.
      // So is an existing file: written in place, it keeps its inode, owner and mode, as at
      // every other size (the archive upload unlinks it and makes a new root-owned 0644 file).
      if (found.existing === "other" || found.existing === "file" || !found.onRoot || found.realDir === undefined) return writeViaExec(instanceId, path, data, bound);
      const name = posix.basename(path);
      const written = posix.join(found.realDir, name);
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
        // One request: the tar is generated while it uploads. The extraction replaces a
        // symbolic link at the path (never follows it), as the contract says.
        bound.step();
        await ctx.docker.getContainer(instanceId).putArchive(tar as unknown as NodeJS.ReadableStream, {
          path: found.realDir,
          noOverwriteDirNonDir: true,
          abortSignal: bound.signal(),
        });
      } catch (err) {
        if (isVMError(err)) throw err;
        if (bound.signal().aborted) {
          // The engine unlinks the old file as soon as it reads the entry's header and writes
          // the new one in place: an upload cut short leaves a partial file, which goes.
          if (sent) await discardPartial(instanceId, written, data.length, started);
          throw bound.reason();
        }
        if (hostPathTooLong(err) || isMountPoint(err)) return writeViaExec(instanceId, path, data, bound);
        const vmErr = fromDockerError(err, { provider, operation, subject: JSON.stringify(path) });
        if (vmErr.code === "NOT_FOUND") {
          throw new VMError("NOT_FOUND", `${operation} ${JSON.stringify(path)}: the parent directory does not exist`, { provider, operation, cause: err });
        }
        if (vmErr.code === "RESOURCE_EXHAUSTED" && partialWriteOf(err, written)) {
          // No partial file: like the exec-based writeFile, a failed write leaves nothing at the path.
          const removed = await viaExec.deleteFile(instanceId, written).then(
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
      const stdin = toBuffer(content);
      // size: stdin's EOF is also what a client killed mid-upload looks like; the script
      // publishes only content of exactly this length.
      const step = { how: "atomic", path, suffix: tempFileSuffix(), mode, createDirs, owner, group, size: stdin.byteLength } as const;
      await ensureManaged(instanceId, operation);
      let result;
      try {
        result = await runExec(ctx, { instanceId, argv: fileWriteArgv({ ...step, phase: "all", source: "stdin" }), options: { ...bound.step(), stdin }, operation });
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
