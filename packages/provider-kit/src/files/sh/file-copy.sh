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
# Nor is one replaced as the destination.
if special "$p"; then not_regular "$p"; fi
dir=${p%/*}; base=${p##*/}
[ -n "$dir" ] || dir=/
ns=$(readlink /proc/self/ns/pid 2>/dev/null) || ns=
ns=${ns//[!0-9]/}
umask_was=$(umask)
__VM_STAGING__

trap leave_stage EXIT
# The source is read by the path it was given, before the working directory changes.
case $src in /*) ;; *) src=$PWD/$src ;; esac
enter_dir
make_stage ".${base:0:64}.vm-tmp.copy-${ns:-0}-$$"
run cp -T -- "$src" data
# A symlink at the destination is replaced like a missing file: its target is not the file
# being replaced, so its mode and owner are not copied. (One lstat: type, owner, mode.)
info=$(stat -c '%F:%u:%g:%a' -- "../$base" 2>/dev/null) || info=
case $info in
  "regular file:"*|"regular empty file:"*)
    info=${info#*:}
    if [ "$EUID" = 0 ] && [ "${VM_FILES_NO_CHOWN:-}" != 1 ]; then chown -- "${info%:*}" data 2>/dev/null || :; fi
    try chmod -- "${info##*:}" data ;;
  *)
    m=$(stat -L -c %a -- "$src") || m=644
    try chmod -- "$(printf '%o' $(( 0$m & ~0$umask_was & 07777 )))" data ;;
esac
# A destination that is a mount point (a bind-mounted /etc/hosts) cannot be renamed over:
# it gets the copy in place, as cp would have done.
if ! err=$(mv -f -T -- data "../$base" 2>&1); then
  case $err in *"Device or resource busy"*) run cp -T -- data "$p" ;; *) failed "$err" ;; esac
fi
