#!/bin/sh
# shellcheck shell=sh
# The container's main process (buildInitScript in ../scripts.ts): sh -c <this> vm-init <ttlSeconds or "">.
# PID 1 is the engine's docker-init, so zombies are reaped and SIGTERM works. It computes the TTL
# deadline first (so the resurrect's time counts), runs the PM2 resurrect snippet in a subshell
# that never fails the boot, prints the ready marker `boot` waits for (READY_MARKER), then sleeps
# until the deadline and exits (the container stops, or the engine removes it), or forever.
# __VM_RESURRECT__ is where buildInitScript puts the resurrect snippet.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

if [ -n "$1" ]; then vm_deadline=$(( $(date +%s) + $1 )); fi
( __VM_RESURRECT__
) >/dev/null 2>&1 </dev/null || true
echo vm-init-ready
if [ -n "$1" ]; then vm_now=$(date +%s); if [ "$vm_now" -lt "$vm_deadline" ]; then sleep $(( vm_deadline - vm_now )); fi; exit 0; fi
while :; do sleep 86400; done
