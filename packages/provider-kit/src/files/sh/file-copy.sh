#!/usr/bin/env bash
# shellcheck shell=bash
# FILE_COPY_SCRIPT: copies a file through a temp file renamed over the destination.
# Runs after prelude.sh (script() in ../scripts.ts prepends it): fail, failed, run, try, probe
# and not_regular come from there. Arguments are documented on the exported constant.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

src=$1 p=$2
probe "$src"
if [ -d "$src" ]; then fail EISDIR; fi
# A FIFO, socket or device source is refused before cp opens it (it would block or never end).
if [ -e "$src" ] && [ ! -f "$src" ]; then not_regular "$src"; fi
case $p in /) fail EISDIR ;; */) fail EISDIR ;; esac
if [ -d "$p" ] && [ ! -L "$p" ]; then fail EISDIR; fi
dir=${p%/*}; base=${p##*/}
[ -n "$dir" ] || dir=/
ns=$(readlink /proc/self/ns/pid 2>/dev/null) || ns=
ns=${ns//[!0-9]/}
tmp=$dir/.${base:0:64}.vm-tmp.copy-${ns:-0}-$$
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
  if [ "$EUID" = 0 ] && [ "${VM_FILES_NO_CHOWN:-}" != 1 ]; then chown --reference="$p" -- "$tmp" 2>/dev/null || :; fi
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
