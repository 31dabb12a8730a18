#!/bin/sh
# shellcheck shell=sh
# shellcheck disable=SC3013 # `[ a -ef b ]` is not POSIX, but every /bin/sh an image has (dash, bash, busybox ash) has it.
# EXEC_WRAPPER (../scripts.ts): wraps every Docker exec as sh -c EXEC_WRAPPER vm-exec <argv...>.
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

env -- "$@"; r=$?
o=; for n in 1 2; do { [ -p /proc/$$/fd/$n ] || [ -S /proc/$$/fd/$n ]; } && o="$o /proc/$$/fd/$n"; done
while [ -n "$o" ]; do h=; for f in /proc/[0-9]*/fd/1 /proc/[0-9]*/fd/2; do case $f in /proc/$$/*) continue;; esac; for t in $o; do [ "$f" -ef "$t" ] && h=1; done; [ -n "$h" ] && break; done; [ -z "$h" ] && break; sleep 0.1; done
exit $r
