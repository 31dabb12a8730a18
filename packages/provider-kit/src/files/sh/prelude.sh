#!/usr/bin/env bash
# shellcheck shell=bash
# Shared head of every file script: `script()` in ../scripts.ts puts it before each body
# (file-*.sh), so the helpers below (fail, failed, run, try, probe, not_regular) exist there.
# User values never appear in the text: each script reads them from "$1", "$2", ... and
# quotes every expansion, so no value can become code.
# - `set -f` (no globbing) and quoting everywhere: values are data, never patterns or code.
# - LC_ALL=C: tool messages are in English so `classify` can read the errno text, and
#   ${var:0:n} counts bytes.
# - fd 3 is the real stdout, so `run` can capture a command's stderr while its stdout
#   still reaches the caller. `try` runs an idempotent command directly and only re-runs it
#   under `run` when it failed (one process fewer on the happy path); `probe` is the same
#   for "does this path exist, and if not, why".
# - A signal becomes a normal exit, so EXIT traps (temp-file cleanup) run.
# - A classified failure is exit 3 (FILE_SCRIPT_ERROR_EXIT_CODE) with `@@vm-files-error <TAG>`
#   as the last line of stderr.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

set -u -f -o pipefail
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
failed() { printf '%s\n' "${1:0:1000}" >&2; fail "$(classify "$1")"; }
try() { "$@" 2>/dev/null || run "$@"; }
probe() { if [ -e "$1" ] || [ -L "$1" ]; then return 0; fi; run stat --printf= -- "$1"; }
# Reports an existing path that is not a regular file or a directory (a FIFO, socket or
# device): stat names its type without opening it.
not_regular() { printf '%s\n' "$(stat -L -c %F -- "$1" 2>/dev/null || echo special file)" >&2; fail ENOTREG; }
# True for a FIFO, socket or device itself (a symbolic link is not one, whatever it points to).
special() { [ ! -L "$1" ] && [ -e "$1" ] && [ ! -f "$1" ] && [ ! -d "$1" ]; }
