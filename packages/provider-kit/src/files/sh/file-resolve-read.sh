#!/usr/bin/env bash
# shellcheck shell=bash
# FILE_RESOLVE_READ_SCRIPT (../resolve-scripts.ts): where the kernel resolves a path for a read,
# and the content inline when it is small.
# Runs after prelude.sh (script() in ../scripts.ts prepends it): fail, failed, run, try, probe
# and not_regular come from there. Arguments are documented on the exported constant.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

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
real=${real%?x}
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
