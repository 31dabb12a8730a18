#!/usr/bin/env bash
# shellcheck shell=bash
# FILE_READ_SCRIPT: one chunk of a file, as a header line and one base64 line.
# Runs after prelude.sh (script() in ../scripts.ts prepends it): fail, failed, run, try, probe
# and not_regular come from there. Arguments are documented on the exported constant.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

p=$1 off=$2 count=$3
# Each on its own: "$off$count" let an empty one through (then dd failed: EIO).
case $off in ""|*[!0-9]*) fail EINVAL ;; esac
case $count in ""|*[!0-9]*) fail EINVAL ;; esac
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
