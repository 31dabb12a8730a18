import { script } from "./scripts.js";
import { FILE_RESOLVE_READ_SH } from "./sh/file-resolve-read.sh.js";
import { FILE_RESOLVE_WRITE_SH } from "./sh/file-resolve-write.sh.js";

// Scripts that tell a client which path the kernel inside the instance resolves a path to,
// for a provider with a faster channel that resolves paths its own way (Docker's archive
// API cleans ".." lexically and cannot see filesystems mounted inside the container). Same
// rules as the other file scripts: values only as "$1"..., classified failures. The bodies are
// ./sh/file-resolve-*.sh, embedded at build time (scripts/embed-shell.mjs).

/**
 * Resolves a path for a read, following every symbolic link as `cat` would. Args:
 * `path inlineMax`. A directory is `EISDIR`, a missing path (or dangling link) `ENOENT`.
 * Prints `o` for an existing entry that is not a regular file; for a regular file, a header
 * line `f <size> <root|mount> <base64 of the resolved path>` (`root`: the file lives on the
 * container's root filesystem itself, not on anything mounted inside it), then, when the size
 * is at most `inlineMax`, a second line with up to `inlineMax + 1` bytes of content in base64
 * (more than `inlineMax` bytes means the file grew: the caller reads it another way).
 */
export const FILE_RESOLVE_READ_SCRIPT = script(FILE_RESOLVE_READ_SH);

/**
 * Resolves a path for a write, as the kernel resolves it to create or replace the file: the
 * parent is resolved (symbolic links followed, then `..` applied), the last name is not
 * followed. Arg: `path`. A missing parent is `ENOENT`, one that is not a directory
 * `ENOTDIR`, a directory at the path `EISDIR`, a parent the user may not write `EACCES`.
 * Prints `<n|f|l|o> <root|mount> <base64 of the resolved parent>`: what is at the path now
 * (nothing, a regular file, a symbolic link, something else) and whether the parent (and the
 * file, if any) live on the container's root filesystem itself.
 */
export const FILE_RESOLVE_WRITE_SCRIPT = script(FILE_RESOLVE_WRITE_SH);
