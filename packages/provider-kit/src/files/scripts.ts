// The fixed bash scripts behind the exec-based file service. User values (paths, modes,
// owners, content) never appear in this text: each script reads them from "$1", "$2", ...
// and quotes every expansion, so no value can become code.

/**
 * The exit code a file script uses when it reports a classified failure. The classification
 * itself is the last line of stderr: `@@vm-files-error <TAG>`.
 */
export const FILE_SCRIPT_ERROR_EXIT_CODE = 3;

/**
 * `$0` of every file script, so bash's own messages name the script, not a user value.
 */
export const FILE_SCRIPT_NAME = "vm-files";

// Shared by every script.
// - `set -f` (no globbing) and quoting everywhere: values are data, never patterns or code.
// - LC_ALL=C: tool messages are in English so `classify` can read the errno text, and
//   ${var:0:n} counts bytes.
// - fd 3 is the real stdout, so `run` can capture a command's stderr while its stdout
//   still reaches the caller. `try` runs an idempotent command directly and only re-runs it
//   under `run` when it failed (one process fewer on the happy path); `probe` is the same
//   for "does this path exist, and if not, why".
// - A signal becomes a normal exit, so EXIT traps (temp-file cleanup) run.
const PRELUDE = String.raw`set -u -f -o pipefail
export LC_ALL=C
trap 'exit 143' TERM INT HUP PIPE
exec 3>&1
fail() { printf '\n@@vm-files-error %s\n' "$1" >&2; exit 3; }
classify() {
  case $1 in
    *"Permission denied"*|*"Operation not permitted"*|*"Read-only file system"*) echo EACCES ;;
    *"No such file or directory"*) echo ENOENT ;;
    *"Not a directory"*) echo ENOTDIR ;;
    *"Is a directory"*|*"cannot overwrite directory"*|*"cannot overwrite non-directory"*) echo EISDIR ;;
    *"File exists"*) echo EEXIST ;;
    *"Directory not empty"*) echo ENOTEMPTY ;;
    *"invalid user"*|*"invalid group"*|*"invalid spec"*) echo EINVAL ;;
    *"No space left on device"*|*"Disk quota exceeded"*) echo ENOSPC ;;
    *"Device or resource busy"*) echo EBUSY ;;
    *"Too many levels of symbolic links"*) echo ELOOP ;;
    *) echo EIO ;;
  esac
}
run() {
  local err
  if err=$("$@" 2>&1 1>&3); then return 0; fi
  case $err in *"@@vm-files-error "*) printf '%s\n' "$err" >&2; exit 3 ;; esac
  failed "$err"
}
failed() { printf '%s\n' "\${1:0:1000}" >&2; fail "$(classify "$1")"; }
try() { "$@" 2>/dev/null || run "$@"; }
probe() { if [ -e "$1" ] || [ -L "$1" ]; then return 0; fi; run stat --printf= -- "$1"; }
# Reports an existing path that is not a regular file or a directory (a FIFO, socket or
# device): stat names its type without opening it.
not_regular() { printf '%s\n' "$(stat -L -c %F -- "$1" 2>/dev/null || echo special file)" >&2; fail ENOTREG; }
`;

// The scripts are String.raw templates so backslashes reach bash untouched; `\${` is the
// only escape they use (for bash's own "${...}") and is turned back into "${" here.
// (Exported for the other script modules of this package; not part of the public API.)
export function script(body: string): string {
  return `${PRELUDE}${body.trim()}\n`.replaceAll("\\${", "${");
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
export const FILE_READ_SCRIPT = script(String.raw`
p=$1 off=$2 count=$3
case $off$count in *[!0-9]*) fail EINVAL ;; esac
if [ -d "$p" ]; then fail EISDIR; fi
# A FIFO, socket or device is refused before anything opens it: opening a FIFO blocks until a
# writer comes (and would let a blocked writer go on), a device may never end. [ -f ] follows
# symbolic links (also in parent directories) with stat(), which opens nothing.
if [ -e "$p" ] && [ ! -f "$p" ]; then not_regular "$p"; fi
if ! { exec 4<"$p"; } 2>/dev/null; then
  err=$( { : <"$p"; } 2>&1 ) && fail EIO
  failed "$err"
fi
# A pipe or device has no size: one byte more than asked tells "exactly count" from "more".
if [ -f "$p" ]; then kind=f; else kind=o; count=$((count + 1)); fi
info=$(stat -L -c '%s %d:%i:%.9Y:%.9Z' -- "$p") || fail EIO
printf '%s %s\n' "$kind" "$info"
# fullblock: a pipe or /proc file returns short reads, which dd would count as blocks and stop early.
chunk() { dd bs=65536 skip="$off" count="$count" iflag=skip_bytes,count_bytes,fullblock status=none <&4 | base64 -w0; }
run chunk
`);

/**
 * Writes a file, atomically or in place, in one exec or several. Args:
 * `how phase source path suffix mode owner group createDirs size [base64 pieces...]`.
 * - `how`: `atomic` (temp file + rename) or `inplace` (truncate and write the target).
 * - `phase`: `all` (one exec: the temp file is `.<name>.vm-tmp.<suffix>-<pidns>-<pid>`,
 *   naming its writer), or `begin` / `append` / `commit` for a write spread over several
 *   execs (the pieces go to the temp file `.<name>.vm-tmp.<suffix>` next to the target), or
 *   `abort` to remove that temp file (and the one-exec temp file of the same suffix, which a
 *   write killed by a timeout or an abort leaves).
 * - `source`: `stdin` (raw bytes on standard input) or `base64` (the concatenated pieces).
 * - `mode`, `owner`, `group`: empty for "not given"; `createDirs`: `1` or `0`.
 * - `size`: the expected byte count of the whole content, or empty (not checked). Phases
 *   `all` and `commit` check the written file against it before publishing: a short file
 *   (stdin reached EOF because the client died mid-upload) is removed, never renamed over
 *   the target, and the write fails with `ESHORT`.
 *
 * A symlink at `path` is never written through: it is replaced by the new file (an `inplace`
 * write onto a link is done the `atomic` way), and its target's mode and owner are not copied.
 *
 * For `atomic`, mode and owner are applied to the temp file before `mv -f -T` renames it
 * over the target, and an EXIT trap removes the temp file on any failure, so the target is
 * either the old file or the complete new one. A writer killed with SIGKILL cannot run that
 * trap; the next write to the same target (`all` or `begin`) removes such orphans: temp
 * files of that target whose writer (by pid, in the same pid namespace) no longer exists.
 */
export const FILE_WRITE_SCRIPT = script(String.raw`
how=$1 phase=$2 src=$3 p=$4 suffix=$5 mode=$6 owner=$7 group=$8 mkdirs=$9 size=\${10}
shift 10
case $how in atomic|inplace) ;; *) fail EINVAL ;; esac
case $phase in all|begin|append|commit|abort) ;; *) fail EINVAL ;; esac
case $src in stdin|base64) ;; *) fail EINVAL ;; esac
case $suffix in ""|*[!a-z0-9]*) fail EINVAL ;; esac
case $size in *[!0-9]*) fail EINVAL ;; esac
case $p in /) fail EISDIR ;; */) fail EISDIR ;; /*) ;; *) fail EINVAL ;; esac
# A write never follows a symlink at the path: the link itself is replaced by the new file,
# so an in-place write onto a link goes the atomic way (temp file renamed over the link).
if [ "$how" = inplace ] && [ -L "$p" ]; then how=atomic; fi
umask_was=
dir=\${p%/*}; base=\${p##*/}
[ -n "$dir" ] || dir=/
pfx=$dir/.\${base:0:64}.vm-tmp.
tmp=$pfx$suffix
# A one-exec write names its temp file after its writer: -<pid namespace>-<pid>. The staged
# temp file of a write spread over several execs has no single writer and keeps the bare name.
ns=
case $phase in all|begin)
  ns=$(readlink /proc/self/ns/pid 2>/dev/null) || ns=
  ns=\${ns//[!0-9]/} ;;
esac
if [ "$phase" = all ] && [ -n "$ns" ]; then tmp=$tmp-$ns-$$; fi
cleanup() { if [ -n "$tmp" ]; then rm -f -- "$tmp"; fi; }
# A writer killed with SIGKILL never runs its EXIT trap. Its temp file is removed here, by
# the next write to the same target, once the writer is provably gone: same pid namespace
# (a writer in another container sharing the directory is never judged by our pids) and
# kill -0 says "No such process". A live writer, a pid we may not signal (EPERM) and a name
# of any other shape are kept. Removing an orphan cannot race its writer: it is dead, and a
# new writer picks a fresh random suffix.
sweep() {
  [ -n "$ns" ] || return 0
  local f rest pid err found now mtime
  set +f
  shopt -s nullglob
  found=("$pfx"*)
  shopt -u nullglob
  set -f
  now=$(date +%s) || now=0
  for f in "\${found[@]}"; do
    rest=\${f#"$pfx"}
    # The staged temp file of a write spread over several execs has no writer pid. Each of its
    # execs appends at once, so one untouched for an hour belongs to a client that died
    # between execs.
    if [[ $rest =~ ^[a-z0-9]+$ ]]; then
      mtime=$(stat -c %Y -- "$f" 2>/dev/null) || continue
      if ((now - mtime > 3600)); then rm -f -- "$f" 2>/dev/null || :; fi
      continue
    fi
    [[ $rest =~ ^[a-z0-9]+-([0-9]+)-([0-9]+)$ ]] || continue
    [ "\${BASH_REMATCH[1]}" = "$ns" ] || continue
    pid=\${BASH_REMATCH[2]}
    kill -0 "$pid" 2>/dev/null && continue
    err=$(kill -0 "$pid" 2>&1) && continue
    case $err in *"No such process"*) rm -f -- "$f" 2>/dev/null || : ;; esac
  done
}
put() {
  local f=$1 trunc=$2
  shift 2
  if [ "$src" = stdin ]; then
    if [ "$trunc" = 1 ]; then cat >"$f"; else cat >>"$f"; fi
  else
    if [ "$trunc" = 1 ]; then printf '%s' "$@" | base64 -d >"$f"; else printf '%s' "$@" | base64 -d >>"$f"; fi
  fi
}
# The temp file is created exclusively (set -C). It is private (umask 077) unless it will
# simply keep the default mode of a new file, so no one reads content meant to be 0600.
prepare() {
  if [ "$mkdirs" = 1 ] && [ ! -d "$dir" ]; then try mkdir -p -- "$dir"; fi
  if [ -d "$p" ] && [ ! -L "$p" ]; then fail EISDIR; fi
  sweep
  if [ -n "$mode" ] || [ -e "$p" ] || [ "$how" = inplace ]; then umask_was=$(umask); umask 077; fi
  set -C
  if ! { : >"$tmp"; } 2>/dev/null; then
    if ! err=$( { : >"$tmp"; } 2>&1 ); then failed "$err"; fi
  fi
  set +C
  trap cleanup EXIT
}
staged() {
  if [ ! -f "$tmp" ]; then
    tmp=
    printf 'staged temp file is missing\n' >&2
    fail EIO
  fi
  trap cleanup EXIT
}
# Mode and owner are kept from a file being replaced; a symlink being replaced is not that
# file, and its target's mode and owner are not copied. VM_FILES_NO_CHOWN=1 (a provider without
# file ownership) turns the owner part off: nothing is chowned.
replaces_file() { [ -e "$p" ] && [ ! -L "$p" ]; }
finish() {
  if [ -n "$owner" ] || [ -n "$group" ]; then
    try chown -- "$owner\${group:+:$group}" "$tmp"
  elif [ "$EUID" = 0 ] && [ "\${VM_FILES_NO_CHOWN:-}" != 1 ] && replaces_file; then
    chown --reference="$p" -- "$tmp" 2>/dev/null || :
  fi
  if [ -n "$mode" ]; then
    case $mode in *[!0-7]*) fail EINVAL ;; esac
    try chmod -- "$mode" "$tmp"
  elif replaces_file; then
    try chmod --reference="$p" -- "$tmp"
  elif [ -L "$p" ]; then
    # The mode a new file gets: 0666 less the umask (the temp file may have been made private).
    try chmod -- "$(printf '%o' $(( 0666 & ~0\${umask_was:-$(umask)} )))" "$tmp"
  fi
  try mv -f -T -- "$tmp" "$p"
  tmp=
}
copy_into() { cat -- "$tmp" >"$p"; }
# stdin's EOF may be a client that died mid-upload: publish only the expected size.
check_size() {
  [ -n "$size" ] || return 0
  local got
  got=$(stat -c %s -- "$1") || fail EIO
  if [ "$got" != "$size" ]; then
    printf 'got %s of %s bytes: the content was cut short\n' "$got" "$size" >&2
    fail ESHORT
  fi
}
# An in-place write that creates its target removes it if the write fails (a full disk): no
# partial new file. The EXIT trap's cleanup does it, with the target as its "temp" file until
# the write is done. A target that existed is written in place and is partial then: that is
# what in place means (writeFileAtomic keeps the old content).
# (Assigned directly, never through $(...), which would strip a name's trailing newlines.)
is_new() { [ ! -e "$p" ] && [ ! -L "$p" ]; }
# An in-place write opens its target: a FIFO, socket or device there is refused, never opened.
# (An atomic write renames over whatever is there and opens nothing of it.)
if [ "$how" = inplace ] && [ -e "$p" ] && [ ! -f "$p" ] && [ ! -d "$p" ]; then
  case $phase in all|begin|commit) not_regular "$p" ;; esac
fi
case $phase in
  all)
    if [ "$how" = inplace ]; then
      tmp=
      if [ -d "$p" ]; then fail EISDIR; fi
      if is_new; then tmp=$p; fi
      trap cleanup EXIT
      run put "$p" 1 "$@"
      # Cut short: a new target goes (trap), an existing one is partial but the write fails.
      check_size "$p"
      tmp=
    else
      prepare
      run put "$tmp" 1 "$@"
      check_size "$tmp"
      finish
    fi ;;
  begin)
    prepare
    run put "$tmp" 1 "$@"
    tmp= ;;
  append)
    staged
    run put "$tmp" 0 "$@"
    tmp= ;;
  commit)
    staged
    run put "$tmp" 0 "$@"
    check_size "$tmp"
    if [ "$how" = inplace ]; then
      if [ -d "$p" ]; then fail EISDIR; fi
      created=
      if is_new; then created=$p; fi
      # The staged temp file goes too (cleanup), and so does a target this write created.
      if ! err=$(copy_into 2>&1); then
        if [ -n "$created" ]; then rm -f -- "$created"; fi
        failed "$err"
      fi
    else
      finish
    fi ;;
  abort)
    cleanup
    # A one-exec write that was killed (timeout, abort) left its temp file under the same
    # random suffix plus -<pid namespace>-<pid>: it is this call's, so it goes too.
    set +f
    rm -f -- "$tmp"-* 2>/dev/null || :
    set -f
    tmp= ;;
esac
`);

/**
 * Lists a directory. Arg: `path`. Prints one base64 line: for each entry, four
 * NUL-terminated fields `name`, type (`%Y`: `d` for a directory, following symlinks),
 * size in bytes and mtime in seconds. NUL separation keeps names with newlines intact;
 * base64 keeps names that are not UTF-8 intact across a text-only stdout.
 */
export const FILE_LIST_SCRIPT = script(String.raw`
p=$1
probe "$p"
if [ ! -d "$p" ]; then fail ENOTDIR; fi
if ! cd -- "$p" 2>/dev/null; then
  err=$(cd -- "$p" 2>&1) && fail EIO
  failed "$err"
fi
listing() { find . -mindepth 1 -maxdepth 1 -printf '%f\0%Y\0%s\0%T@\0' | base64 -w0; }
run listing
`);

/**
 * Prints `yes` when the path exists (any type, including a dangling symlink), else `no`.
 */
export const FILE_EXISTS_SCRIPT = script(String.raw`
if [ -e "$1" ] || [ -L "$1" ]; then echo yes; else echo no; fi
`);

/**
 * Prints `yes` when the path is a directory (following symlinks), else `no`.
 */
export const FILE_IS_DIRECTORY_SCRIPT = script(String.raw`
if [ -d "$1" ]; then echo yes; else echo no; fi
`);

/**
 * Creates a directory. Args: `path recursive` (`1`: `mkdir -p`, an existing directory is
 * fine; `0`: plain `mkdir`, an existing entry is `EEXIST`). A non-directory at the path is
 * `EEXIST` either way.
 */
export const FILE_MKDIR_SCRIPT = script(String.raw`
p=$1
if [ "$2" = 1 ]; then
  if [ -d "$p" ]; then exit 0; fi
  if [ -e "$p" ] || [ -L "$p" ]; then fail EEXIST; fi
  try mkdir -p -- "$p"
else
  try mkdir -- "$p"
fi
`);

/**
 * Deletes one non-directory entry. Arg: `path`. A directory is `EISDIR`; a symlink (even
 * to a directory) is removed itself.
 */
export const FILE_DELETE_SCRIPT = script(String.raw`
p=$1
probe "$p"
if [ -d "$p" ] && [ ! -L "$p" ]; then fail EISDIR; fi
try rm -f -- "$p"
`);

/**
 * Deletes a directory and everything in it. Arg: `path` (trailing slashes are ignored). A
 * non-directory, or a symlink (even to a directory), is `ENOTDIR`: the link's target is never
 * touched; the root directory and a last name of `.` or `..` are refused.
 */
export const FILE_DELETE_DIRECTORY_SCRIPT = script(String.raw`
p=$1
# "/x/link/" would make every test below follow the link: strip trailing slashes first.
while [ "\${#p}" -gt 1 ] && [ "\${p%/}" != "$p" ]; do p=\${p%/}; done
case $p in */.|*/..) fail EINVAL ;; esac
probe "$p"
if [ -L "$p" ] || [ ! -d "$p" ]; then fail ENOTDIR; fi
if [ "$p" -ef / ]; then fail EINVAL; fi
try rm -rf -- "$p"
`);

/**
 * Copies a file. Args: `source destination`. The destination is always the new file's
 * own path, never a directory to copy into. The copy is made in a temp file beside the
 * destination (created exclusively, named like `FILE_WRITE_SCRIPT`'s one-exec temp files, so
 * the next write to that path sweeps one a SIGKILLed copy left) and renamed over it: a copy
 * that fails (a full disk) leaves the destination as it was and no partial file. A
 * destination that is a mount point (EBUSY on rename) is copied into in place. A new
 * destination gets the source's mode less the umask (like `cp`); an existing one keeps its
 * mode and, as root, its owner (like a write). A source that is a FIFO, socket or device
 * (after following symbolic links) is `ENOTREG` and is never opened.
 */
export const FILE_COPY_SCRIPT = script(String.raw`
src=$1 p=$2
probe "$src"
if [ -d "$src" ]; then fail EISDIR; fi
# A FIFO, socket or device source is refused before cp opens it (it would block or never end).
if [ -e "$src" ] && [ ! -f "$src" ]; then not_regular "$src"; fi
case $p in /) fail EISDIR ;; */) fail EISDIR ;; esac
if [ -d "$p" ] && [ ! -L "$p" ]; then fail EISDIR; fi
dir=\${p%/*}; base=\${p##*/}
[ -n "$dir" ] || dir=/
ns=$(readlink /proc/self/ns/pid 2>/dev/null) || ns=
ns=\${ns//[!0-9]/}
tmp=$dir/.\${base:0:64}.vm-tmp.copy-\${ns:-0}-$$
cleanup() { if [ -n "$tmp" ]; then rm -f -- "$tmp"; fi; }
# The source may be private: so is the temp file until its mode is set.
umask_was=$(umask)
umask 077
set -C
if ! { : >"$tmp"; } 2>/dev/null; then
  if ! err=$( { : >"$tmp"; } 2>&1 ); then tmp=; failed "$err"; fi
fi
set +C
trap cleanup EXIT
run cp -T -- "$src" "$tmp"
# A symlink at the destination is replaced like a missing file: its target is not the file
# being replaced, so its mode and owner are not copied.
if [ -e "$p" ] && [ ! -L "$p" ]; then
  if [ "$EUID" = 0 ] && [ "\${VM_FILES_NO_CHOWN:-}" != 1 ]; then chown --reference="$p" -- "$tmp" 2>/dev/null || :; fi
  try chmod --reference="$p" -- "$tmp"
else
  m=$(stat -L -c %a -- "$src") || m=644
  try chmod -- "$(printf '%o' $(( 0$m & ~0$umask_was & 07777 )))" "$tmp"
fi
# A destination that is a mount point (a bind-mounted /etc/hosts) cannot be renamed over:
# it gets the copy in place, as cp would have done.
if err=$(mv -f -T -- "$tmp" "$p" 2>&1); then
  tmp=
else
  # (The temp file stays set: the EXIT trap removes it after the copy.)
  case $err in *"Device or resource busy"*) run cp -T -- "$tmp" "$p" ;; *) failed "$err" ;; esac
fi
`);

/**
 * Moves (renames) a file or directory. Args: `source destination` (`mv -f -T`).
 */
export const FILE_MOVE_SCRIPT = script(String.raw`
probe "$1"
run mv -f -T -- "$1" "$2"
`);

/**
 * Removes what an in-place write that was killed (its timeout or abort) left at its target.
 * Args: `path size seconds`: the path is removed when it is a regular file shorter than the
 * `size` bytes the write was to leave and whose inode changed within the last `seconds`
 * (so during the write, by the instance's own clock). Anything else is left alone.
 */
export const FILE_DISCARD_PARTIAL_SCRIPT = script(String.raw`
p=$1 size=$2 secs=$3
case $size$secs in ""|*[!0-9]*) fail EINVAL ;; esac
if [ -L "$p" ] || [ ! -f "$p" ]; then exit 0; fi
info=$(stat -c '%s %Z' -- "$p" 2>/dev/null) || exit 0
now=$(date +%s) || exit 0
# Shorter than the content: the write stopped part-way (a complete file, or one another
# writer made longer, is kept).
if [ "\${info% *}" -lt "$size" ] && [ "\${info#* }" -ge $((now - secs)) ]; then rm -f -- "$p" 2>/dev/null || :; fi
`);
