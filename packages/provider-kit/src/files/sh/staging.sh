#!/usr/bin/env bash
# shellcheck shell=bash
# shellcheck disable=SC1007,SC2154 # `a= b=` sets both empty; dir is the including script's.
# The staging functions shared by the scripts that publish a new file by rename (file-write.sh,
# file-copy.sh: their placeholder line becomes this text, in ../scripts.ts). The new file is
# made in a staging directory the writer creates (mode 0700) inside the target directory and
# then works in by its working directory, never by a path through the target directory:
# whoever owns that directory (another user, when root writes there) can rename or replace any
# entry in it, including the staging directory, but cannot enter, list or change the staging
# directory contents, nor move it to another parent. So every step on the new file (create,
# write, chown, chmod) and the final rename to "../<name>" acts on the writer own file, never
# on what a name was swapped for. (Bash has no fchown or O_NOFOLLOW; the working directory is
# the one handle it keeps.) Uses dir, fail and failed of the script that includes it.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

stage= stage_in=
enter_dir() {
  local err
  if ! cd -P -- "$dir" 2>/dev/null; then
    err=$(cd -P -- "$dir" 2>&1) && fail EIO
    failed "$err"
  fi
}
enter_stage() {
  stage=$1
  if ! cd -P -- "$stage" 2>/dev/null; then
    # (A write spread over several execs finds its staging directory gone: an abort, a sweep.)
    if [ "${2:-}" != made ] && [ ! -e "$stage" ] && [ ! -L "$stage" ]; then stage=; printf 'staged temp file is missing\n' >&2; fail EIO; fi
    stage=; fail ERACE
  fi
  # Builtins only (no fork, so no window in which a signal finds this directory unverified):
  # owned by the writer, and its parent is the target's directory.
  if [ ! -O . ] || ! [ .. -ef "$dir" ]; then stage=; fail ERACE; fi
  stage_in=1
  # A default ACL on the target's directory (its owner may set one) can open the staging
  # directory to them: the chmod (of the working directory, by no name) masks it off.
  chmod 700 . 2>/dev/null || :
}
make_stage() {
  local err
  # Named before it exists: a signal right after the mkdir still has the EXIT trap remove it.
  stage=$1
  if ! err=$(umask 077 && mkdir -- "$1" 2>&1); then stage=; failed "$err"; fi
  enter_stage "$1" made
}
leave_stage() {
  [ -n "$stage" ] || return 0
  # Run from the EXIT trap too: a second signal must not cut the removal short.
  trap '' TERM INT HUP
  if [ -n "$stage_in" ]; then rm -f -- data 2>/dev/null; cd -P .. 2>/dev/null || return 0; stage_in=; fi
  rmdir -- "$stage" 2>/dev/null || :
  stage=
}
