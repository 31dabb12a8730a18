#!/usr/bin/env bash
# shellcheck shell=bash
# FILE_WRITE_SCRIPT: a file written atomically (temp file + rename) or in place, in one exec
# or several (begin/append/commit), checked against the expected size before it is published.
# Runs after prelude.sh (script() in ../scripts.ts prepends it): fail, failed, run, try, probe
# and not_regular come from there. Arguments are documented on the exported constant.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

how=$1 phase=$2 src=$3 p=$4 suffix=$5 mode=$6 owner=$7 group=$8 mkdirs=$9 size=${10}
shift 10
case $how in atomic|inplace) ;; *) fail EINVAL ;; esac
case $phase in all|begin|append|commit|abort) ;; *) fail EINVAL ;; esac
case $src in stdin|base64) ;; *) fail EINVAL ;; esac
case $suffix in ""|*[!a-z0-9]*) fail EINVAL ;; esac
case $size in *[!0-9]*) fail EINVAL ;; esac
case $p in /) fail EISDIR ;; */) fail EISDIR ;; /*) ;; *) fail EINVAL ;; esac
# A write never follows a symlink at the path: the link itself is replaced by the new file,
# so an in-place write onto a link goes the atomic way (temp file renamed over the link).
if [ "$how" = inplace ] && [ -L "$p" ]; then how=atomic; fi
umask_was=
dir=${p%/*}; base=${p##*/}
[ -n "$dir" ] || dir=/
pfx=$dir/.${base:0:64}.vm-tmp.
tmp=$pfx$suffix
# A one-exec write names its temp file after its writer: -<pid namespace>-<pid>. The staged
# temp file of a write spread over several execs has no single writer and keeps the bare name.
ns=
case $phase in all|begin)
  ns=$(readlink /proc/self/ns/pid 2>/dev/null) || ns=
  ns=${ns//[!0-9]/} ;;
esac
if [ "$phase" = all ] && [ -n "$ns" ]; then tmp=$tmp-$ns-$$; fi
cleanup() { if [ -n "$tmp" ]; then rm -f -- "$tmp"; fi; }
# A writer killed with SIGKILL never runs its EXIT trap. Its temp file is removed here, by
# the next write to the same target, once the writer is provably gone: same pid namespace
# (a writer in another container sharing the directory is never judged by our pids) and
# kill -0 says "No such process". A live writer, a pid we may not signal (EPERM) and a name
# of any other shape are kept. Removing an orphan cannot race its writer: it is dead, and a
# new writer picks a fresh random suffix.
sweep() {
  [ -n "$ns" ] || return 0
  local f rest pid err found now mtime
  set +f
  shopt -s nullglob
  found=("$pfx"*)
  shopt -u nullglob
  set -f
  now=$(date +%s) || now=0
  for f in "${found[@]}"; do
    rest=${f#"$pfx"}
    # The staged temp file of a write spread over several execs has no writer pid. Each of its
    # execs appends at once, so one untouched for an hour belongs to a client that died
    # between execs.
    if [[ $rest =~ ^[a-z0-9]+$ ]]; then
      mtime=$(stat -c %Y -- "$f" 2>/dev/null) || continue
      if ((now - mtime > 3600)); then rm -f -- "$f" 2>/dev/null || :; fi
      continue
    fi
    [[ $rest =~ ^[a-z0-9]+-([0-9]+)-([0-9]+)$ ]] || continue
    [ "${BASH_REMATCH[1]}" = "$ns" ] || continue
    pid=${BASH_REMATCH[2]}
    kill -0 "$pid" 2>/dev/null && continue
    err=$(kill -0 "$pid" 2>&1) && continue
    case $err in *"No such process"*) rm -f -- "$f" 2>/dev/null || : ;; esac
  done
}
put() {
  local f=$1 trunc=$2
  shift 2
  if [ "$src" = stdin ]; then
    if [ "$trunc" = 1 ]; then cat >"$f"; else cat >>"$f"; fi
  else
    if [ "$trunc" = 1 ]; then printf '%s' "$@" | base64 -d >"$f"; else printf '%s' "$@" | base64 -d >>"$f"; fi
  fi
}
# The temp file is created exclusively (set -C). It is private (umask 077) unless it will
# simply keep the default mode of a new file, so no one reads content meant to be 0600.
prepare() {
  if [ "$mkdirs" = 1 ] && [ ! -d "$dir" ]; then try mkdir -p -- "$dir"; fi
  if [ -d "$p" ] && [ ! -L "$p" ]; then fail EISDIR; fi
  sweep
  if [ -n "$mode" ] || [ -e "$p" ] || [ "$how" = inplace ]; then umask_was=$(umask); umask 077; fi
  set -C
  if ! { : >"$tmp"; } 2>/dev/null; then
    if ! err=$( { : >"$tmp"; } 2>&1 ); then failed "$err"; fi
  fi
  set +C
  trap cleanup EXIT
}
staged() {
  if [ ! -f "$tmp" ]; then
    tmp=
    printf 'staged temp file is missing\n' >&2
    fail EIO
  fi
  trap cleanup EXIT
}
# Mode and owner are kept from a file being replaced; a symlink being replaced is not that
# file, and its target's mode and owner are not copied. VM_FILES_NO_CHOWN=1 (a provider without
# file ownership) turns the owner part off: nothing is chowned.
replaces_file() { [ -e "$p" ] && [ ! -L "$p" ]; }
finish() {
  if [ -n "$owner" ] || [ -n "$group" ]; then
    try chown -- "$owner${group:+:$group}" "$tmp"
  elif [ "$EUID" = 0 ] && [ "${VM_FILES_NO_CHOWN:-}" != 1 ] && replaces_file; then
    chown --reference="$p" -- "$tmp" 2>/dev/null || :
  fi
  if [ -n "$mode" ]; then
    case $mode in *[!0-7]*) fail EINVAL ;; esac
    try chmod -- "$mode" "$tmp"
  elif replaces_file; then
    try chmod --reference="$p" -- "$tmp"
  elif [ -L "$p" ]; then
    # The mode a new file gets: 0666 less the umask (the temp file may have been made private).
    try chmod -- "$(printf '%o' $(( 0666 & ~0${umask_was:-$(umask)} )))" "$tmp"
  fi
  try mv -f -T -- "$tmp" "$p"
  tmp=
}
copy_into() { cat -- "$tmp" >"$p"; }
# stdin's EOF may be a client that died mid-upload: publish only the expected size.
check_size() {
  [ -n "$size" ] || return 0
  local got
  got=$(stat -c %s -- "$1") || fail EIO
  if [ "$got" != "$size" ]; then
    printf 'got %s of %s bytes: the content was cut short\n' "$got" "$size" >&2
    fail ESHORT
  fi
}
# An in-place write that creates its target removes it if the write fails (a full disk): no
# partial new file. The EXIT trap's cleanup does it, with the target as its "temp" file until
# the write is done. A target that existed is written in place and is partial then: that is
# what in place means (writeFileAtomic keeps the old content).
# (Assigned directly, never through $(...), which would strip a name's trailing newlines.)
is_new() { [ ! -e "$p" ] && [ ! -L "$p" ]; }
# An in-place write opens its target: a FIFO, socket or device there is refused, never opened.
# (An atomic write renames over whatever is there and opens nothing of it.)
if [ "$how" = inplace ] && [ -e "$p" ] && [ ! -f "$p" ] && [ ! -d "$p" ]; then
  case $phase in all|begin|commit) not_regular "$p" ;; esac
fi
case $phase in
  all)
    if [ "$how" = inplace ]; then
      tmp=
      if [ -d "$p" ]; then fail EISDIR; fi
      if is_new; then tmp=$p; fi
      trap cleanup EXIT
      run put "$p" 1 "$@"
      # Cut short: a new target goes (trap), an existing one is partial but the write fails.
      check_size "$p"
      tmp=
    else
      prepare
      run put "$tmp" 1 "$@"
      check_size "$tmp"
      finish
    fi ;;
  begin)
    prepare
    run put "$tmp" 1 "$@"
    tmp= ;;
  append)
    staged
    run put "$tmp" 0 "$@"
    tmp= ;;
  commit)
    staged
    run put "$tmp" 0 "$@"
    check_size "$tmp"
    if [ "$how" = inplace ]; then
      if [ -d "$p" ]; then fail EISDIR; fi
      created=
      if is_new; then created=$p; fi
      # The staged temp file goes too (cleanup), and so does a target this write created.
      if ! err=$(copy_into 2>&1); then
        if [ -n "$created" ]; then rm -f -- "$created"; fi
        failed "$err"
      fi
    else
      finish
    fi ;;
  abort)
    cleanup
    # A one-exec write that was killed (timeout, abort) left its temp file under the same
    # random suffix plus -<pid namespace>-<pid>: it is this call's, so it goes too.
    set +f
    rm -f -- "$tmp"-* 2>/dev/null || :
    set -f
    tmp= ;;
esac
