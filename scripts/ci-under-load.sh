#!/usr/bin/env bash
# Runs a command with N busy loops beside it, to check that tests wait for events and not for an
# idle machine (docs/reliability.md, "Tests on a loaded machine"):
#
#   bash scripts/ci-under-load.sh 2 bash .ci/run
#   bash scripts/ci-under-load.sh 2 pnpm turbo run test --force
#
# The loops are stopped however the command ends (success, failure, Ctrl-C). Exits with the
# command's status.
set -euo pipefail

log() { printf '[ci-under-load] %s\n' "$*" >&2; }

usage() { echo "usage: bash scripts/ci-under-load.sh <busy-loops> <command> [args...]" >&2; }
if [ "$#" -lt 2 ] || ! [[ "$1" =~ ^[0-9]+$ ]]; then
  usage
  exit 2
fi
loops="$1"
shift

hogs=()
stop_hogs() {
  if [ "${#hogs[@]}" -gt 0 ]; then
    kill "${hogs[@]}" 2>/dev/null || true
    wait "${hogs[@]}" 2>/dev/null || true
    hogs=()
  fi
}
trap stop_hogs EXIT
trap 'stop_hogs; exit 130' INT
trap 'stop_hogs; exit 143' TERM

for ((i = 0; i < loops; i++)); do
  # A subshell spinning on the shell builtin ':' keeps one core busy and holds no resources.
  (while :; do :; done) &
  hogs+=("$!")
done
log "$loops busy loop(s) running (pids ${hogs[*]:-none}); running: $*"

status=0
"$@" || status=$?
stop_hogs
log "command exited $status; busy loops stopped"
exit "$status"
