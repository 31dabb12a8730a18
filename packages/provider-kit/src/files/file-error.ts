import type { ExecResult, VMErrorCode } from "@vm/core";
import { VMError } from "../errors.js";
import { FILE_SCRIPT_ERROR_EXIT_CODE } from "./scripts.js";

/**
 * Where a file-script failure happened, for the `VMError` it becomes.
 */
export interface FileErrorContext {
  provider: string;
  operation: string;
  /** The path the operation was about; shown (JSON-quoted) in the message. */
  path: string;
}

// The tags the scripts print; everything not listed here is INTERNAL.
const TAG_CODES: Readonly<Record<string, VMErrorCode>> = {
  ENOENT: "NOT_FOUND",
  EACCES: "PERMISSION_DENIED",
  EISDIR: "INVALID_ARGUMENT",
  ENOTDIR: "INVALID_ARGUMENT",
  EINVAL: "INVALID_ARGUMENT",
  EEXIST: "ALREADY_EXISTS",
  ENOTEMPTY: "ALREADY_EXISTS",
  ENOSPC: "RESOURCE_EXHAUSTED",
  EBUSY: "CONFLICT",
  ELOOP: "INVALID_ARGUMENT",
  ENOTREG: "INVALID_ARGUMENT",
  EIO: "INTERNAL",
  // The content arrived short (stdin ended early: the client or its connection died
  // mid-upload). Nothing was published; sending it again is the remedy.
  ESHORT: "UNAVAILABLE",
  // The write's staging directory was not its own when entered: someone who may write in the
  // target's directory replaced it. Nothing was written; the directory's owner can always
  // make writes there fail.
  ERACE: "CONFLICT",
};

const TAG_TEXT: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EISDIR: "is a directory (a file was expected)",
  ENOTDIR: "not a directory (a directory was expected)",
  EINVAL: "invalid argument",
  EEXIST: "already exists",
  ENOTEMPTY: "destination is a non-empty directory",
  ENOSPC: "no space left on device",
  EBUSY: "in use or a mount point, which cannot be replaced, moved or removed (device or resource busy; a bind-mounted file such as /etc/hosts can still be written in place with writeFile)",
  ELOOP: "too many levels of symbolic links (the kernel follows at most 40 in one path)",
  ENOTREG: "not a regular file (a FIFO, socket or device is never opened, replaced or removed)",
  EIO: "I/O error",
  ESHORT: "the content arrived incomplete (fewer bytes than expected); nothing was published",
  ERACE: "the directory changed under the write (its staging directory was replaced by someone who may write there); nothing was written",
};

const MARKER = /^@@vm-files-error ([A-Z]+)$/gm;

/**
 * The failure tag (`ENOENT`, `EACCES`, `EISDIR`, `ENOTDIR`, `EEXIST`, `ENOTEMPTY`, `EINVAL`,
 * `ENOSPC`, `EBUSY`, `ELOOP`, `ENOTREG`, `EIO`, `ESHORT`, `ERACE`) a file script printed, or `undefined` when the result is not a classified
 * script failure (e.g. bash is missing, or the command was killed).
 */
export function fileErrorTag(result: ExecResult): string | undefined {
  if (result.exit_code !== FILE_SCRIPT_ERROR_EXIT_CODE) return undefined;
  let tag: string | undefined;
  for (const match of result.stderr.matchAll(MARKER)) tag = match[1];
  return tag;
}

// The tool's own message (e.g. "mv: cannot move 'a' to 'b': Permission denied") helps
// debugging. Tools print paths and errno text there, never file content; it is still cut short.
function detailOf(stderr: string): string {
  const line = stderr
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l.length > 0 && !l.startsWith("@@vm-files-error"));
  if (line === undefined) return "";
  return ` (${line.length > 200 ? `${line.slice(0, 197)}...` : line})`;
}

/**
 * The one place a failed file-script exec becomes a `VMError`: the script's tag picks the
 * code (missing -> `NOT_FOUND`, permission -> `PERMISSION_DENIED`, a directory where a file
 * is expected or the reverse -> `INVALID_ARGUMENT`, existing -> `ALREADY_EXISTS`, no space
 * left (or a disk quota) -> `RESOURCE_EXHAUSTED`, a mount point or a busy file -> `CONFLICT`,
 * a FIFO, socket or device where a regular file is needed -> `INVALID_ARGUMENT`,
 * anything else -> `INTERNAL`). Providers that run a file script themselves (e.g. a streaming
 * `writeFileAtomic`) use it to report errors exactly like `createExecFileService`.
 */
export function fileErrorFromExecResult(result: ExecResult, ctx: FileErrorContext): VMError {
  const tag = fileErrorTag(result);
  const where = `${ctx.operation} ${JSON.stringify(ctx.path)}`;
  const options = { provider: ctx.provider, operation: ctx.operation };
  if (tag === undefined) {
    return new VMError("INTERNAL", `${where}: file script failed with exit code ${result.exit_code}${detailOf(result.stderr)}`, options);
  }
  const code = TAG_CODES[tag] ?? "INTERNAL";
  const text = TAG_TEXT[tag] ?? tag;
  return new VMError(code, `${where}: ${text}${detailOf(result.stderr)}`, options);
}
