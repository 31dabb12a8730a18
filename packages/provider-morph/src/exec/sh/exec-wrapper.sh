#!/usr/bin/env bash
# shellcheck shell=bash
# EXEC_WRAPPER_SCRIPT (../wrapper-script.ts): Morph's exec takes only an argv, so cwd, env, user,
# stdin, a timeout and the kill tag are applied by this fixed script:
#   bash -c EXEC_WRAPPER_SCRIPT vm-exec <cwd> <user> <timeout s> <N> <M> <kill id> <N NAME=VALUE> <M base64 stdin chunks> <argv...>
# Every user value is a positional argument, never script text. /run/vm-exec is EXEC_RUN_DIR and
# VM_EXEC_ID is EXEC_TAG_VAR (a unit test checks they agree). Exit codes: the command's own; 124
# and the marker when the timeout fired; 125 for a cwd the user cannot enter or a user that does
# not exist; 130 cancelled before start.
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
run=()
# The target's identity (see @vm/provider-kit's identity rule): its passwd entry's uid, gid and
# groups, or for a uid without one gid = uid; HOME/USER/LOGNAME exported before the caller's
# env, so the caller's own entries win. setpriv changes ids only, never the environment.
# The placeholder line below becomes the kit's PASSWD_LOOKUP_FUNCTION (vm_pw, which sets pw_*)
# in wrapper-script.ts.
# 125 with only the kit's start-failure marker on stderr: EXEC_NO_USER_MESSAGE or
# EXEC_NO_CWD_MESSAGE, then " [$xid]" (a unit test holds the literals equal to the constants).
if [ -n "$user" ]; then
  __VM_PASSWD_LOOKUP__
  # shellcheck disable=SC2154 # vm_pw sets pw_uid, pw_gid, pw_name and pw_home.
  if vm_pw "$user" 2>/dev/null; then run=(setpriv --reuid="$pw_uid" --regid="$pw_gid" --init-groups); hn=$pw_name hh=$pw_home
  elif [[ "$user" =~ ^[0-9]+$ ]]; then run=(setpriv --reuid="$user" --regid="$user" --clear-groups); hn=$user hh=/
  else printf '%s%s\n' 'vm-exec: no such user' "${xid:+ [$xid]}" >&2; exit 125; fi
  export HOME="$hh" USER="$hn" LOGNAME="$hn"
fi
# shellcheck disable=SC2163 # each entry is NAME=VALUE: export it, not a variable named after it.
for kv in "${envs[@]}"; do export "$kv"; done
# cwd is entered as the user the command runs as (a directory it may not search is refused,
# never entered as root first): by a shell run after the switch, which then execs the command.
if [ -n "$cwd" ] && [ -n "$user" ]; then
  # shellcheck disable=SC2016 # the inner sh expands its own $1, $2 and $@.
  run+=(sh -c 'cd -- "$1" 2>/dev/null || { printf "%s\n" "$2" >&2; exit 125; }; shift 2; exec "$@"' vm-cd "$cwd" "vm-exec: cannot enter the working directory${xid:+ [$xid]}")
elif [ -n "$cwd" ]; then
  cd -- "$cwd" 2>/dev/null || { printf '%s%s\n' 'vm-exec: cannot enter the working directory' "${xid:+ [$xid]}" >&2; exit 125; }
fi
if [ -n "$limit" ]; then run=(timeout -k 2 "$limit" "${run[@]}"); fi
start=${EPOCHREALTIME/[.,]/}
if [ "$nin" -gt 0 ]; then printf "%s" "${chunks[@]}" | base64 -d | "${run[@]}" "$@"; rc=$?; else "${run[@]}" "$@" </dev/null; rc=$?; fi
if [ -n "$limit" ]; then
  lim=$(( ${limit%.*} * 1000000 + 10#${limit#*.} * 1000 )); to=
  # 137: timeout's -k KILL came too (a command that outlived the TERM by 2 s).
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
