/**
 * File content: text (written as UTF-8) or exact bytes.
 *
 * @example
 * ```ts
 * import type { FileContent } from "@vm/core";
 * const text: FileContent = "hello\n";
 * const bytes: FileContent = new Uint8Array([0, 1, 2, 255]);
 * ```
 */
export type FileContent = string | Uint8Array;

/**
 * One entry of `listDirectory()`.
 *
 * @example
 * ```ts
 * import type { FileInfo } from "@vm/core";
 * const bigFiles = (entries: FileInfo[]) => entries.filter((e) => !e.isDirectory && (e.size ?? 0) > 1e6);
 * ```
 */
export interface FileInfo {
  /** Absolute path of the entry. */
  path: string;
  /** Base name of the entry. */
  name: string;
  isDirectory: boolean;
  /** Size in bytes. */
  size?: number;
  /** Last modification time. */
  modified?: Date;
}

/**
 * Bounds of one file operation: the optional last argument of every `VMFileService` method.
 * A call that runs out of time rejects with `TIMEOUT`, an aborted one with `ABORTED`; either
 * way its work in the instance is stopped, and a write leaves no partial file behind.
 *
 * @example
 * ```ts
 * import type { FileOperationOptions } from "@vm/core";
 * const options: FileOperationOptions = { signal: AbortSignal.timeout(60_000), timeoutMs: 30_000 };
 * ```
 */
export interface FileOperationOptions {
  /**
   * Abort the operation: the call rejects with `ABORTED` (at once if already aborted, before any work).
   *
   * @default none (the call is bounded only by `timeoutMs`)
   */
  signal?: AbortSignal;
  /**
   * Give up after this many milliseconds (whole call): the call rejects with `TIMEOUT`.
   * A whole number from 1 to 2147483647.
   *
   * @default the provider's default bound (`DEFAULT_FILE_TIMEOUT_MS` of `@vm/provider-kit`, 30 minutes)
   */
  timeoutMs?: number;
}

/**
 * Options of `createDirectory()`.
 *
 * @example
 * ```ts
 * import type { CreateDirectoryOptions } from "@vm/core";
 * const options: CreateDirectoryOptions = { recursive: true, timeoutMs: 10_000 };
 * ```
 */
export interface CreateDirectoryOptions extends FileOperationOptions {
  /**
   * Create missing parents and accept an existing directory (`mkdir -p`).
   *
   * @default false
   */
  recursive?: boolean;
}

/**
 * Options for `writeFileAtomic()`; all are applied before the file appears at its path.
 *
 * @example
 * ```ts
 * import type { AtomicWriteOptions } from "@vm/core";
 * const options: AtomicWriteOptions = { mode: "600", createDirs: true, owner: "root", group: "root" };
 * ```
 */
export interface AtomicWriteOptions extends FileOperationOptions {
  /**
   * Octal permission bits, e.g. `"600"` or `"0755"`.
   *
   * @default the replaced file's mode, else `0666` minus the umask (as a new file gets)
   */
  mode?: string;
  /**
   * Create missing parent directories (`mkdir -p`).
   *
   * @default `false` (a missing parent directory is `NOT_FOUND`)
   */
  createDirs?: boolean;
  /**
   * User name or uid to own the file.
   *
   * @default the replaced file's owner (when the provider has `fileOwnership`), else the exec user
   */
  owner?: string;
  /**
   * Group name or gid to own the file.
   *
   * @default the replaced file's group (when the provider has `fileOwnership`), else the exec user's group
   */
  group?: string;
}

/**
 * File operations inside an instance. Paths are absolute UTF-8 strings. A missing path is
 * `NOT_FOUND`, a permission problem `PERMISSION_DENIED`, a bad path `INVALID_ARGUMENT`. A FIFO,
 * socket or device is never opened: as the file to read or copy (after following symbolic
 * links), or as the target a write would open in place, it is `INVALID_ARGUMENT`. Every method
 * takes `FileOperationOptions` (`signal`, `timeoutMs`) as its last argument and is bounded by a
 * default timeout when none is given.
 *
 * **How a path is resolved (every provider alike).** The kernel inside the instance resolves
 * it, as for a process there: a symbolic link in a parent component is followed, and `..`
 * applies to the parent it resolved to (`/tmp/link/../x`, with `/tmp/link -> /opt/deep/dir`,
 * is `/opt/deep/x`, as `cat` sees it). No client or engine cleans a path lexically, and a
 * parent that links into a kernel filesystem (`/dev/shm`) reaches what the instance sees.
 *
 * **A symbolic link in the last component:**
 * - Reads follow it: `readFile`, `readFileBytes`, `copyFile`'s source, `listDirectory`, and
 *   `isDirectory` (true for a link to a directory).
 * - `fileExists` does not: it is true for any entry, a dangling link included.
 * - Mutations never follow it, so nothing outside the named path is changed through it:
 *   `writeFile`, `writeFileAtomic` and the destination of `copyFile` and `moveFile` replace the
 *   link itself with a regular file (of the default mode; the link's target, file or
 *   directory, is untouched); `moveFile`'s source moves the link itself; `deleteFile` removes
 *   the link; `deleteDirectory` refuses a link (to anything) with `INVALID_ARGUMENT`;
 *   `createDirectory` on an existing link is `ALREADY_EXISTS`, unless `recursive` and the link
 *   resolves to a directory (accepted, nothing changes).
 *
 * **Trailing slashes.** Directory operations (`createDirectory`, `listDirectory`,
 * `isDirectory`, `deleteDirectory`, `fileExists`) remove them before anything else: `/tmp/cur/`
 * is `/tmp/cur`, so a trailing slash never makes a mutation follow a link (`/` stays `/`).
 * File operations (`readFile`, `readFileBytes`, `writeFile`, `writeFileAtomic`, `copyFile`,
 * `moveFile`, `deleteFile`) refuse a path ending in `/`, `/.` or `/..` with `INVALID_ARGUMENT`
 * before any work; so does `deleteDirectory` for `/.` and `/..`.
 *
 * @example
 * ```ts
 * import type { VMFileService } from "@vm/core";
 * async function configure(files: VMFileService, id: string) {
 *   await files.writeFileAtomic(id, "/app/config.json", JSON.stringify({ port: 3000 }), {
 *     createDirs: true,
 *     mode: "600",
 *   });
 *   return JSON.parse(await files.readFile(id, "/app/config.json")) as { port: number };
 * }
 * ```
 */
export interface VMFileService {
  /** Read a file as UTF-8 text. A FIFO, socket or device is `INVALID_ARGUMENT`, never opened. */
  readFile(instanceId: string, path: string, options?: FileOperationOptions): Promise<string>;
  /** Read a file's exact bytes. */
  readFileBytes(instanceId: string, path: string, options?: FileOperationOptions): Promise<Uint8Array>;
  /** Write (create or replace) a file; its parent directory must exist. */
  writeFile(instanceId: string, path: string, content: FileContent, options?: FileOperationOptions): Promise<void>;
  /** Write a file so that readers see the old content or the new, never a mix. */
  writeFileAtomic(instanceId: string, path: string, content: FileContent, options?: AtomicWriteOptions): Promise<void>;
  /** Copy a regular file (a FIFO, socket or device source is `INVALID_ARGUMENT`, never opened). */
  copyFile(instanceId: string, source: string, destination: string, options?: FileOperationOptions): Promise<void>;
  moveFile(instanceId: string, source: string, destination: string, options?: FileOperationOptions): Promise<void>;
  /** Throws `NOT_FOUND` if missing; refuses a directory with `INVALID_ARGUMENT`. */
  deleteFile(instanceId: string, path: string, options?: FileOperationOptions): Promise<void>;
  /** True for any existing entry (file or directory). */
  fileExists(instanceId: string, path: string, options?: FileOperationOptions): Promise<boolean>;
  /**
   * `recursive` (a boolean, or `options.recursive`) creates missing parents and accepts an
   * existing directory; the options object is preferred.
   */
  createDirectory(instanceId: string, path: string, options?: boolean | CreateDirectoryOptions): Promise<void>;
  /**
   * The entries of a directory (a link to a directory is followed), without `.` and `..`.
   * A directory holding a name that is not valid UTF-8 is refused with `INVALID_ARGUMENT`
   * (the message says how many and shows the first with its bytes escaped, e.g. `bad\xff`):
   * every path in this API is a UTF-8 string, so such a name could not be passed back.
   */
  listDirectory(instanceId: string, path: string, options?: FileOperationOptions): Promise<FileInfo[]>;
  /** False when the path is missing or is not a directory. */
  isDirectory(instanceId: string, path: string, options?: FileOperationOptions): Promise<boolean>;
  /** Remove a directory and everything in it; `NOT_FOUND` if missing; a symbolic link is `INVALID_ARGUMENT`. */
  deleteDirectory(instanceId: string, path: string, options?: FileOperationOptions): Promise<void>;
}
