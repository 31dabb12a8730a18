#!/bin/sh
# shellcheck shell=sh
# DRIVER_SCRIPT (../driver.ts): every pm2 call goes through this one fixed POSIX sh script, run as
# /bin/sh -c DRIVER_SCRIPT vm-pm2 <pm2Home> <op> <args...>. User values only ever arrive as
# positional arguments, so nothing a caller passes is parsed as shell text. VM_EXEC_ID is
# @vm/provider-kit's EXEC_TAG_VAR (a unit test checks they agree).
# Exit codes the service relies on (fromPM2Result): 0 success; 127 with
# "__VM_PM2_MISSING__ <what>|<user>|<PATH>" on stderr when node, pm2 or both are not on PATH (pm2 is a
# `#!/usr/bin/env node` script: without node it cannot run); anything else: pm2 (or base64/mkdir)
# failed, stderr says why.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

need_pm2() {
  missing=""
  command -v node >/dev/null 2>&1 || missing="node"
  command -v pm2 >/dev/null 2>&1 || missing="${missing:+$missing and }pm2"
  if [ -n "$missing" ]; then
    echo "__VM_PM2_MISSING__ $missing|$(id -un 2>/dev/null || id -u)|$PATH" >&2
    exit 127
  fi
}
daemon_running() {
  [ -f "$PM2_HOME/pm2.pid" ] && kill -0 "$(cat "$PM2_HOME/pm2.pid" 2>/dev/null)" 2>/dev/null
}
# $1 is PM2_HOME: set here as well as in the exec's env, so a provider that drops or
# overrides ExecOptions.env still reaches the one pinned daemon.
PM2_HOME="$1"
export PM2_HOME
# The daemon this call may start, and the apps it starts, outlive this exec: they must not carry
# the exec's kill tag, or a TIMEOUT or abort of this call would kill them all with it.
unset VM_EXEC_ID
op="$2"
shift 2
case "$op" in
  jlist)
    need_pm2
    exec pm2 jlist
    ;;
  start)
    # $1 name (validated by the caller), $2 "replace" or "new", $3… base64 chunks of the ecosystem JSON
    need_pm2
    name="$1"; mode="$2"; shift 2
    dir="$PM2_HOME/apps"
    mkdir -p "$dir" || exit 1
    file="$dir/$name.json"
    tmp="$dir/.$name.json.$$"
    printf '%s' "$@" | base64 -d > "$tmp" || { rm -f "$tmp"; exit 1; }
    mv -f "$tmp" "$file" || { rm -f "$tmp"; exit 1; }
    if [ "$mode" = replace ]; then
      pm2 delete "$name" >/dev/null || exit 1
    fi
    # A config pm2 refused is not left behind for an app that never existed.
    pm2 start "$file" >/dev/null || { [ "$mode" = replace ] || rm -f "$file"; exit 1; }
    exec pm2 jlist
    ;;
  stop|restart|delete)
    # $1 a process name that exists, a numeric id, or "all"
    need_pm2
    exec pm2 "$op" "$1" >/dev/null
    ;;
  logs)
    # $1 line count, $2 out log path, $3 err log path, $4 byte cap (+1, so the caller sees a cut):
    # prints the newest $4 bytes of each tail, base64-encoded, on its own line. The cap is applied
    # here, in the VM, so the exec's output stays small whatever the process logged.
    for f in "$2" "$3"; do
      if [ -f "$f" ]; then
        tail -n "$1" -- "$f" | tail -c "$4" | base64 | tr -d '\n'
      fi
      echo
    done
    ;;
  save)
    # No daemon (or no pm2): nothing to save, and starting a daemon just to save it would be wrong.
    if daemon_running && command -v pm2 >/dev/null 2>&1; then
      exec pm2 save --force >/dev/null
    fi
    ;;
  *)
    echo "vm-pm2: unknown operation" >&2
    exit 2
    ;;
esac
