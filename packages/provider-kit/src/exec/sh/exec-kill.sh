#!/bin/sh
# shellcheck shell=sh
# EXEC_KILL_SCRIPT (../kill-protocol.ts): kills one tagged command and everything it started.
# Run as root in a second exec (or as a non-root user, then it finds and signals that user's
# processes only): sh -c EXEC_KILL_SCRIPT vm-kill <id> <runDir or "">. POSIX sh
# (the image's /bin/sh may be dash or busybox), GNU grep (-z), /proc, util-linux setpriv.
# The tag is VM_EXEC_ID (EXEC_TAG_VAR; a unit test checks the two agree). Always exits 0.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

set -u
# my: run as a non-root user (a watchdog inside a command's own exec), the script reads that
# user's environments directly; setpriv cannot switch ids without root.
id=$1; rd=${2-}; me=$$; up=$PPID; my=$(id -u 2>/dev/null)
case $id in ""|*[!A-Za-z0-9-]*) exit 0;; esac
# The run dir counts only when it is ours alone: root-owned, a real directory.
if [ -n "$rd" ]; then { [ -d "$rd" ] || mkdir -m 700 -- "$rd"; } 2>/dev/null; if [ -d "$rd" ] && [ ! -L "$rd" ] && [ -O "$rd" ]; then : > "$rd/$id.cancel" 2>/dev/null; else rd=; fi; fi
# stat fields after "(comm) ": state ppid pgrp session ... starttime is the 20th.
# shellcheck disable=SC2086 # $s is split into those fields on purpose (globbing is off: set -f).
fields() { IFS= read -r s < "/proc/$1/stat" 2>/dev/null || return 1; s=${s##*) }; set -f; set -- $s; set +f; st=$1 pg=$3 sid=$4 start=${20}; }
scan() {
  out=; lead=" "
  # Without CAP_SYS_PTRACE (Docker's default) root cannot read another user's environ: it is
  # read as each process owner (uid:gid) in turn, which the kernel allows for its own processes.
  ids=
  # shellcheck disable=SC2086 # a status line ("Uid:\t0\t0...": digits only) is split into its fields on purpose.
  for f in /proc/[0-9]*/status; do u=; while IFS= read -r l; do case $l in Uid:*) set -- $l; u=$3;; Gid:*) set -- $l; case " $ids " in *" $u:$3 "*) ;; *) ids="$ids $u:$3";; esac; break;; esac; done < "$f"; done 2>/dev/null
  tagged=$(for pr in $ids; do u=${pr%:*} g=${pr#*:}; if [ "$u" = 0 ] || [ "$u" = "$my" ]; then grep -lzxF -- "VM_EXEC_ID=$id" /proc/[0-9]*/environ; else setpriv --reuid="$u" --regid="$g" --clear-groups -- grep -lzxF -- "VM_EXEC_ID=$id" /proc/[0-9]*/environ; fi; done 2>/dev/null | sed -n "s,^/proc/\([0-9]*\)/environ\$,\1,p")
  for p in $tagged; do lead="$lead$p "; done
  w=; if [ -n "$rd" ] && [ -s "$rd/$id.pid" ]; then IFS= read -r w < "$rd/$id.pid" 2>/dev/null || w=; case $w in ""|*[!0-9]*) w=;; *) tr "\0" "\n" < "/proc/$w/cmdline" 2>/dev/null | grep -qxF -- "$id" || w=;; esac; fi
  [ "$lead" = " " ] && [ -z "$w" ] && return 0
  for f in /proc/[0-9]*/stat; do
    p=${f#/proc/}; p=${p%/stat}
    [ "$p" = "$me" ] || [ "$p" = "$up" ] || [ "$p" = 1 ] && continue
    fields "$p" || continue
    [ "$st" = Z ] || [ "$st" = X ] && continue
    case "$lead" in *" $p "*|*" $sid "*|*" $pg "*) ;; *) [ "$p" = "$w" ] || continue;; esac
    out="$out $p:$start"
  done
}
# Identity re-checked right before the signal: same pid, same start time.
hit() { for e in $out; do p=${e%%:*}; fields "$p" && [ "$start" = "${e#*:}" ] && kill -s "$1" "$p" 2>/dev/null; done; }
scan; found=$out
[ -n "$out" ] && hit TERM
i=0; while [ -n "$out" ] && [ "$i" -lt 10 ]; do sleep 0.1; scan; i=$((i+1)); done
i=0; while [ -n "$out" ] && [ "$i" -lt 50 ]; do hit KILL; sleep 0.02; scan; i=$((i+1)); done
if [ -n "$rd" ]; then [ -n "$found" ] && rm -f -- "$rd/$id.cancel"; rm -f -- "$rd/$id.pid"; find "$rd" -maxdepth 1 -name "*.cancel" -mmin +60 -delete 2>/dev/null; fi
exit 0
