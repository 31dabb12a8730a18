#!/usr/bin/env bash
# shellcheck shell=bash
# EXEC_WRAPPER_SCRIPT (../wrapper-script.ts): Morph's exec takes only an argv, so cwd, env, user,
# stdin, a timeout and the kill tag are applied by this fixed script:
#   bash -c EXEC_WRAPPER_SCRIPT vm-exec <cwd> <user> <timeout s> <N> <M> <kill id> <N NAME=VALUE> <M base64 stdin chunks> <argv...>
# Every user value is a positional argument, never script text. /run/vm-exec is EXEC_RUN_DIR and
# VM_EXEC_ID is EXEC_TAG_VAR (a unit test checks they agree). Exit codes: the command's own; 124
# and the marker when the timeout fired; 125 for a missing cwd or user; 130 cancelled before start.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

set -u
cwd=$1 user=$2 limit=$3 nenv=$4 nin=$5 xid=$6; shift 6
if [ -n "$xid" ]; then
  # The pid goes first, the cancel check second; the killer does the reverse, so one of them always sees the other.
  # Every exec comes here: a test before mkdir saves a fork (≈2.5 ms of a ≈6 ms wrapper).
  xdir=/run/vm-exec; [ -d "$xdir" ] || mkdir -m 700 -- "$xdir" 2>/dev/null
  if [ -d "$xdir" ] && [ -O "$xdir" ] && [ ! -L "$xdir" ]; then
    printf "%s" "$$" > "$xdir/$xid.pid" 2>/dev/null; trap 'rm -f -- "$xdir/$xid.pid"' EXIT
    if [ -e "$xdir/$xid.cancel" ]; then rm -f -- "$xdir/$xid.cancel"; printf "vm-exec: cancelled before it started\n" >&2; exit 130; fi
  fi
  export VM_EXEC_ID="$xid"
fi
envs=(); i=0
while [ "$i" -lt "$nenv" ]; do envs+=("$1"); shift; i=$((i+1)); done
chunks=(); i=0
while [ "$i" -lt "$nin" ]; do chunks+=("$1"); shift; i=$((i+1)); done
if [ -n "$cwd" ]; then cd -- "$cwd" 2>/dev/null || { printf "vm-exec: working directory %s does not exist\n" "$cwd" >&2; exit 125; }; fi
# shellcheck disable=SC2163 # each entry is NAME=VALUE: export it, not a variable named after it.
for kv in "${envs[@]}"; do export "$kv"; done
run=()
if [ -n "$user" ]; then
  # runuser wants a name: a numeric uid is mapped to its name, or run with setpriv when it has none.
  if [[ "$user" =~ ^[0-9]+$ ]]; then name=$(getent passwd "$user"); name=${name%%:*}; else
    id -u -- "$user" >/dev/null 2>&1 || { printf "vm-exec: no such user %s\n" "$user" >&2; exit 125; }; name=$user
  fi
  if [ -n "$name" ]; then run=(runuser -u "$name" --); else run=(setpriv --reuid="$user" --regid="$user" --clear-groups); fi
fi
if [ -n "$limit" ]; then run=(timeout -k 2 "$limit" "${run[@]}"); fi
start=${EPOCHREALTIME/[.,]/}
if [ "$nin" -gt 0 ]; then printf "%s" "${chunks[@]}" | base64 -d | "${run[@]}" "$@"; rc=$?; else "${run[@]}" "$@" </dev/null; rc=$?; fi
if [ -n "$limit" ]; then
  lim=$(( ${limit%.*} * 1000000 + 10#${limit#*.} * 1000 )); to=
  # 137: timeout's -k KILL came too (runuser waits 2 s for its shell after a TERM).
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then [ $(( ${EPOCHREALTIME/[.,]/} - start )) -ge "$lim" ] && to=1 rc=124; fi
  # A background child holding our stdout/stderr holds the result until the limit. Our
  # ancestors hold them too (the shell that runs us) and do not count. No redirection on the
  # scan loop: it would change the very fds it compares with.
  # Only a pipe or socket can be held (a file or /dev/null is shared by unrelated processes),
  # and only by a writer (flags end in 1 or 2): the pipe's reader, if visible, is not ours.
  o=; for n in 1 2; do { [ -p /proc/$$/fd/$n ] || [ -S /proc/$$/fd/$n ]; } && o="$o /proc/$$/fd/$n"; done
  # shellcheck disable=SC2086 # split on purpose: a stat line into its fields (set -f), $h into its pids.
  if [ -z "$to" ] && [ -n "$o" ]; then
    anc=" $$ "; p=$PPID; while [ "${p:-0}" -gt 1 ] && IFS= read -r s < "/proc/$p/stat"; do anc="$anc$p "; s=${s##*) }; set -f; set -- $s; set +f; p=$2; done 2>/dev/null
    while :; do h=; for f in /proc/[0-9]*/fd/1 /proc/[0-9]*/fd/2; do q=${f#/proc/}; q=${q%%/*}; [[ "$anc" == *" $q "* ]] && continue; for t in $o; do [ "$f" -ef "$t" ] || continue; fl=; { read -r _ _; read -r _ fl; } < "/proc/$q/fdinfo/${f##*/}"; [[ "$fl" == *[12] ]] && h="$h $q"; break; done; done
      [ -z "$h" ] && break
      if [ $(( ${EPOCHREALTIME/[.,]/} - start )) -ge "$lim" ]; then kill -KILL $h 2>/dev/null; to=1; rc=124; break; fi
      sleep 0.1
    done
  fi
  [ -n "$to" ] && printf "\nvm-exec: timed out\n" >&2
fi
exit "$rc"
