import { script } from "./scripts.js";

// Scripts that tell a client which path the kernel inside the instance resolves a path to,
// for a provider with a faster channel that resolves paths its own way (Docker's archive
// API cleans ".." lexically and cannot see filesystems mounted inside the container). Same
// rules as the other file scripts: values only as "$1"..., classified failures.

/**
 * Resolves a path for a read, following every symbolic link as `cat` would. Args:
 * `path inlineMax`. A directory is `EISDIR`, a missing path (or dangling link) `ENOENT`.
 * Prints `o` for an existing entry that is not a regular file; for a regular file, a header
 * line `f <size> <root|mount> <base64 of the resolved path>` (`root`: the file lives on the
 * container's root filesystem itself, not on anything mounted inside it), then, when the size
 * is at most `inlineMax`, a second line with up to `inlineMax + 1` bytes of content in base64
 * (more than `inlineMax` bytes means the file grew: the caller reads it another way).
 */
export const FILE_RESOLVE_READ_SCRIPT = script(String.raw`
p=$1 max=$2
case $max in ""|*[!0-9]*) fail EINVAL ;; esac
probe "$p"
if [ -d "$p" ]; then fail EISDIR; fi
if [ ! -f "$p" ]; then
  if [ -e "$p" ]; then echo o; exit 0; fi
  run stat -L --printf= -- "$p"
  fail ENOENT
fi
if ! { exec 4<"$p"; } 2>/dev/null; then
  err=$( { : <"$p"; } 2>&1 ) && fail EIO
  failed "$err"
fi
size=$(stat -L -c %s -- "$p") || fail EIO
# (A trailing "x" keeps a resolved name's own trailing newlines from $(...) stripping.)
real=$(realpath -e -- "$p" && echo x) || fail EIO
real=\${real%?x}
mnt=$(stat -L -c %m -- "$p") || fail EIO
where=mount
if [ "$mnt" = / ]; then where=root; fi
printf 'f %s %s ' "$size" "$where"
printf '%s' "$real" | base64 -w0
printf '\n'
if [ "$size" -le "$max" ]; then
  chunk() { dd bs=65536 count=$((max + 1)) iflag=count_bytes,fullblock status=none <&4 | base64 -w0; }
  run chunk
fi
`);

/**
 * Resolves a path for a write, as the kernel resolves it to create or replace the file: the
 * parent is resolved (symbolic links followed, then `..` applied), the last name is not
 * followed. Arg: `path`. A missing parent is `ENOENT`, one that is not a directory
 * `ENOTDIR`, a directory at the path `EISDIR`, a parent the user may not write `EACCES`.
 * Prints `<n|f|l|o> <root|mount> <base64 of the resolved parent>`: what is at the path now
 * (nothing, a regular file, a symbolic link, something else) and whether the parent (and the
 * file, if any) live on the container's root filesystem itself.
 */
export const FILE_RESOLVE_WRITE_SCRIPT = script(String.raw`
p=$1
case $p in */|*/.|*/..) fail EISDIR ;; /*) ;; *) fail EINVAL ;; esac
dir=\${p%/*}
[ -n "$dir" ] || dir=/
probe "$dir"
if [ ! -d "$dir" ]; then fail ENOTDIR; fi
if [ -L "$p" ]; then kind=l
elif [ -d "$p" ]; then fail EISDIR
elif [ -f "$p" ]; then kind=f
elif [ -e "$p" ]; then kind=o
else kind=n
fi
if [ ! -w "$dir" ] || [ ! -x "$dir" ]; then fail EACCES; fi
real=$(realpath -e -- "$dir" && echo x) || fail EIO
real=\${real%?x}
where=mount
if [ "$(stat -c %m -- "$real")" = / ]; then where=root; fi
# A file that is itself a mount point (/etc/hosts) is not on the root filesystem either.
if [ "$kind" = f ] && [ "$(stat -c %m -- "$p")" != / ]; then where=mount; fi
printf '%s %s ' "$kind" "$where"
printf '%s' "$real" | base64 -w0
printf '\n'
`);
