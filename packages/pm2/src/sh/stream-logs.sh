#!/bin/sh
# shellcheck shell=sh
# STREAM_LOGS (../stream-logs.ts): follows a process's log files from their current end, for
# processes.streamLogs(). argv: sh -c STREAM_LOGS vm-pm2-logs <out files...> - <err files...>
# (the log paths are absolute, so "-" cannot be one). New lines of the out files go to stdout,
# of the err files to stderr; tail's own complaints (a file not there yet, rotated) go nowhere.
# One `tail -F` per file, so a file PM2 creates or recreates later is followed too.
# It runs until it is killed: the caller's exec kill (every tail carries the exec's kill tag).
# With VM_LOGS_STDIN=1 (a provider that keeps the exec's stdin open while the caller follows),
# the end of stdin ends it too: a caller that died (SIGKILL, no kill exec) leaves nothing behind.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

to=out
pids=
for f do
  if [ "$f" = - ]; then
    to=err
    continue
  fi
  if [ "$to" = out ]; then
    tail -n 0 -F -- "$f" 2>/dev/null &
  else
    tail -n 0 -F -- "$f" >&2 2>/dev/null &
  fi
  pids="$pids $!"
done
if [ "${VM_LOGS_STDIN-}" = 1 ]; then
  cat >/dev/null
  # shellcheck disable=SC2086 # one word per pid
  kill $pids 2>/dev/null
  exit 0
fi
wait
