#!/bin/sh
# shellcheck shell=sh
# shellcheck disable=SC3013 # `[ a -ef b ]` is not POSIX, but every /bin/sh an image has (dash, bash, busybox ash) has it.
# shellcheck disable=SC2016 # the watchdog's trap expands $! itself, in the subshell, on purpose.
# EXEC_WRAPPER (../scripts.ts): wraps every Docker exec as
#   sh -c EXEC_WRAPPER vm-exec <cwd or ""> <watchdog seconds or ""> <kill script or ""> <argv...>
# - It enters cwd as the exec's user (the engine switched already), so a directory that user may
#   not search is refused, never entered as root first; the refusal is exit 125 with only the
#   kit's start-failure marker on stderr: EXEC_NO_CWD_MESSAGE, then " [$VM_EXEC_ID]"
#   (EXEC_START_FAILED_EXIT, EXEC_NO_CWD_MESSAGE in @vm/provider-kit; a unit test holds them equal).
# - With a watchdog time, a background watchdog (output on /dev/null, so it holds nothing) runs
#   the kill script at that time, so timeoutMs holds in the container even when the client died;
#   $! in its trap is the sleep, set by the fork itself, so a TERM right after it still finds it;
#   it gets KILL, not TERM: a TERM reaching the forked child before it execs sleep is caught by the
#   handler dash inherited and dropped, which left a `sleep` behind under load.
#   It is stopped when the command is done.
# - argv runs through `env`, so a name like `echo` runs the program, not a shell builtin.
# - After the command exits, the wrapper stays while another process (a background child) still
#   has its stdout or stderr open, polling /proc only then: the engine stops reading an exec's
#   output about 2 s after its process exits, so without this a child's later output would be cut.
# - Only a pipe or socket can be held: a file or /dev/null is shared by unrelated processes.
# - It exits with the command's exact status.
# Its bytes count against ARG_MAX with every command's: its comments stay up here, in the header,
# which is not embedded.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

c=$1 l=$2 k=$3; shift 3
if [ -n "$c" ]; then cd -- "$c" 2>/dev/null || { printf '%s%s\n' 'vm-exec: cannot enter the working directory' "${VM_EXEC_ID:+ [$VM_EXEC_ID]}" >&2; exit 125; }; fi
w=; if [ -n "$l" ]; then ( trap 'kill -9 $! 2>/dev/null; exit 0' TERM; sleep "$l" & wait $!; sh -c "$k" vm-kill "$VM_EXEC_ID" "" ) </dev/null >/dev/null 2>&1 & w=$!; fi
env -- "$@"; r=$?
o=; for n in 1 2; do { [ -p /proc/$$/fd/$n ] || [ -S /proc/$$/fd/$n ]; } && o="$o /proc/$$/fd/$n"; done
while [ -n "$o" ]; do h=; for f in /proc/[0-9]*/fd/1 /proc/[0-9]*/fd/2; do case $f in /proc/$$/*) continue;; esac; for t in $o; do [ "$f" -ef "$t" ] && h=1; done; [ -n "$h" ] && break; done; [ -z "$h" ] && break; sleep 0.1; done
[ -n "$w" ] && kill "$w" 2>/dev/null
exit $r
