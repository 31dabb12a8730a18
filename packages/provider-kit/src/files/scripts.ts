// The fixed bash scripts behind the exec-based file service. User values (paths, modes,
// owners, content) never appear in this text: each script reads them from "$1", "$2", ...
// and quotes every expansion, so no value can become code.
import { FILE_COPY_SH } from "./sh/file-copy.sh.js";
import { FILE_DELETE_DIRECTORY_SH } from "./sh/file-delete-directory.sh.js";
import { FILE_DELETE_SH } from "./sh/file-delete.sh.js";
import { FILE_DISCARD_PARTIAL_SH } from "./sh/file-discard-partial.sh.js";
import { FILE_EXISTS_SH } from "./sh/file-exists.sh.js";
import { FILE_IS_DIRECTORY_SH } from "./sh/file-is-directory.sh.js";
import { FILE_LIST_SH } from "./sh/file-list.sh.js";
import { FILE_MKDIR_SH } from "./sh/file-mkdir.sh.js";
import { FILE_MOVE_SH } from "./sh/file-move.sh.js";
import { FILE_READ_SH } from "./sh/file-read.sh.js";
import { FILE_WRITE_SH } from "./sh/file-write.sh.js";
import { PRELUDE_SH } from "./sh/prelude.sh.js";
import { STAGING_SH } from "./sh/staging.sh.js";

/**
 * The exit code a file script uses when it reports a classified failure. The classification
 * itself is the last line of stderr: `@@vm-files-error <TAG>`.
 */
export const FILE_SCRIPT_ERROR_EXIT_CODE = 3;

/**
 * `$0` of every file script, so bash's own messages name the script, not a user value.
 */
export const FILE_SCRIPT_NAME = "vm-files";

// The body of each script is a file in ./sh (prelude.sh, file-*.sh), embedded at build time by
// scripts/embed-shell.mjs as the generated ./sh/*.sh.ts modules.

// Puts the shared prelude (sh/prelude.sh) before a script body.
// (Exported for the other script modules of this package; not part of the public API.)
export function script(body: string): string {
  return `${PRELUDE_SH}${body.trim()}\n`;
}

// Puts the staging functions (sh/staging.sh) in place of a body's placeholder line (the
// scripts that publish a new file by rename).
function staged(body: string): string {
  return body.replace("__VM_STAGING__\n", () => STAGING_SH);
}

/**
 * Reads one chunk of a file. Args: `path offset count`. Prints a header line
 * `<f|o> <size> <version>` (`f` = regular file) and then the chunk as one base64 line.
 * The version (device, inode, mtime, ctime) lets a chunked reader notice that the file
 * changed between chunks. A FIFO, socket or device is `ENOTREG`, checked before the file is
 * opened (a FIFO is never opened). From a file that is neither (`o`; none today: /proc and
 * /sys files are regular) it reads `count + 1` bytes, so the caller can tell exactly `count`
 * bytes from more.
 */
export const FILE_READ_SCRIPT = script(FILE_READ_SH);

/**
 * Writes a file, atomically or in place, in one exec or several. Args:
 * `how phase source path suffix mode owner group createDirs size [base64 pieces...]`.
 * - `how`: `atomic` (staged file + rename) or `inplace` (truncate and write the target).
 * - `phase`: `all` (one exec: the staging directory is `.<name>.vm-tmp.<suffix>-<pidns>-<pid>`,
 *   naming its writer), or `begin` / `append` / `commit` for a write spread over several
 *   execs (the pieces go to the staging directory `.<name>.vm-tmp.<suffix>` next to the
 *   target), or `abort` to remove that staging directory (and the one-exec one of the same
 *   suffix, which a write killed by a timeout or an abort leaves).
 * - `source`: `stdin` (raw bytes on standard input) or `base64` (the concatenated pieces).
 * - `mode`, `owner`, `group`: empty for "not given"; `createDirs`: `1` or `0`.
 * - `size`: the expected byte count of the whole content, or empty (not checked). Phases
 *   `all` and `commit` check the written file against it before publishing: a short file
 *   (stdin reached EOF because the client died mid-upload) is removed, never renamed over
 *   the target, and the write fails with `ESHORT`.
 *
 * A symlink at `path` is never written through: it is replaced by the new file (an `inplace`
 * write onto a link is done the `atomic` way; the in-place open itself is `O_NOFOLLOW`), and
 * its target's mode and owner are not copied. A FIFO, socket or device at `path` is `ENOTREG`.
 *
 * For `atomic`, the new file is made in a staging directory (mode 0700, the writer's own)
 * created inside the target's directory, and every step on it (write, `chown`, `chmod`, the
 * rename to `../<name>`) runs in that directory as the working directory: whoever owns the
 * target's directory (another user, when root writes there) can rename or replace the staging
 * directory's name but never its contents, so no step lands on what a name was swapped for.
 * A staging directory that is not the writer's own when entered is `ERACE`, and nothing is
 * written. Mode and owner are applied before the rename, and an EXIT trap removes the staging
 * directory on any failure, so the target is either the old file or the complete new one. A
 * writer killed with SIGKILL cannot run that trap; the next write to the same target (`all`
 * or `begin`) removes such orphans: staging directories of that target whose writer (by pid,
 * in the same pid namespace) no longer exists.
 */
export const FILE_WRITE_SCRIPT = script(staged(FILE_WRITE_SH));

/**
 * Lists a directory. Arg: `path`. Prints one base64 line: for each entry, four
 * NUL-terminated fields `name`, type (`%Y`: `d` for a directory, following symlinks),
 * size in bytes and mtime in seconds. NUL separation keeps names with newlines intact;
 * base64 keeps names that are not UTF-8 intact across a text-only stdout.
 */
export const FILE_LIST_SCRIPT = script(FILE_LIST_SH);

/**
 * Prints `yes` when the path exists (any type, including a dangling symlink), else `no`.
 */
export const FILE_EXISTS_SCRIPT = script(FILE_EXISTS_SH);

/**
 * Prints `yes` when the path is a directory (following symlinks), else `no`.
 */
export const FILE_IS_DIRECTORY_SCRIPT = script(FILE_IS_DIRECTORY_SH);

/**
 * Creates a directory. Args: `path recursive` (`1`: `mkdir -p`, an existing directory is
 * fine; `0`: plain `mkdir`, an existing entry is `EEXIST`). A non-directory at the path is
 * `EEXIST` either way.
 */
export const FILE_MKDIR_SCRIPT = script(FILE_MKDIR_SH);

/**
 * Deletes one non-directory entry. Arg: `path`. A directory is `EISDIR`, a FIFO, socket or
 * device `ENOTREG` (never removed); a symlink (even to a directory or a device) is removed itself.
 */
export const FILE_DELETE_SCRIPT = script(FILE_DELETE_SH);

/**
 * Deletes a directory and everything in it. Arg: `path` (trailing slashes are ignored). A
 * non-directory, or a symlink (even to a directory), is `ENOTDIR`: the link's target is never
 * touched; the root directory and a last name of `.` or `..` are refused.
 */
export const FILE_DELETE_DIRECTORY_SCRIPT = script(FILE_DELETE_DIRECTORY_SH);

/**
 * Copies a file. Args: `source destination`. The destination is always the new file's
 * own path, never a directory to copy into. The copy is made in a staging directory the
 * writer creates in the destination's directory (see `FILE_WRITE_SCRIPT`: another user who
 * owns that directory cannot redirect the copy, its mode or its owner) and renamed over the
 * destination: a copy that fails (a full disk) leaves the destination as it was and no
 * partial file. The staging directory is named like `FILE_WRITE_SCRIPT`'s one-exec ones, so
 * the next write to that path sweeps one a SIGKILLed copy left. A destination that is a mount
 * point (EBUSY on rename) is copied into in place. A new destination gets the source's mode
 * less the umask (like `cp`); an existing one keeps its mode and, as root, its owner (like a
 * write). A source that is a FIFO, socket or device (after following symbolic links) is
 * `ENOTREG` and is never opened; such a destination is `ENOTREG` and is never replaced.
 */
export const FILE_COPY_SCRIPT = script(staged(FILE_COPY_SH));

/**
 * Moves (renames) a file or directory. Args: `source destination` (`mv -f -T`). A FIFO,
 * socket or device on either side is `ENOTREG`: it is neither moved nor replaced.
 */
export const FILE_MOVE_SCRIPT = script(FILE_MOVE_SH);

/**
 * Removes what an in-place write that was killed (its timeout or abort) left at its target.
 * Args: `path size seconds`: the path is removed when it is a regular file shorter than the
 * `size` bytes the write was to leave and whose inode changed within the last `seconds`
 * (so during the write, by the instance's own clock). Anything else is left alone.
 */
export const FILE_DISCARD_PARTIAL_SCRIPT = script(FILE_DISCARD_PARTIAL_SH);
