#!/usr/bin/env bash
# shellcheck shell=bash
# shellcheck disable=SC1007,SC2034,SC2209 # `a= b=` sets both empty; stage and stage_in are the
# staging functions' state (staging.sh, put in by ../scripts.ts); `kind=file` is the word, not the command.
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
case $mode in *[!0-7]*) fail EINVAL ;; esac
case $p in /) fail EISDIR ;; */) fail EISDIR ;; /*) ;; *) fail EINVAL ;; esac
# A write never follows a symlink at the path: the link itself is replaced by the new file,
# so an in-place write onto a link goes the atomic way (temp file renamed over the link).
if [ "$how" = inplace ] && [ -L "$p" ]; then how=atomic; fi
umask_was=$(umask)
dir=${p%/*}; base=${p##*/}
[ -n "$dir" ] || dir=/
# Names in the target's directory (the working directory once enter_dir ran).
pfx=.${base:0:64}.vm-tmp.
name=$pfx$suffix
# A one-exec write names its staging directory after its writer: -<pid namespace>-<pid>. The
# one of a write spread over several execs has no single writer and keeps the bare name.
ns=
case $phase in all|begin)
  ns=$(readlink /proc/self/ns/pid 2>/dev/null) || ns=
  ns=${ns//[!0-9]/} ;;
esac
if [ "$phase" = all ] && [ -n "$ns" ]; then name=$name-$ns-$$; fi
__VM_STAGING__

# The staging directory goes with its file on any failure; an in-place write that created
# its target also removes that target ($created) when it fails.
created=
cleanup() {
  local rc=$?
  if [ -n "$created" ]; then rm -f -- "$created"; fi
  leave_stage
  # A failed write from stdin reads the rest of it (discarded) before it exits: a writer still
  # sending would meet a closed pipe (EPIPE; a reset connection on Docker) instead of this
  # answer, and lose its reason (a full disk) with it. A writer that died gives EOF at once.
  if [ "$rc" != 0 ] && [ "$src" = stdin ]; then cat >/dev/null 2>&1 || :; fi
}
trap cleanup EXIT
# A writer killed with SIGKILL never runs its EXIT trap. Its staging directory (or the temp
# file of an older version) is removed here, by the next write to the same target, once the
# writer is provably gone: same pid namespace (a writer in another container sharing the
# directory is never judged by our pids) and kill -0 says "No such process". A live writer, a
# pid we may not signal (EPERM) and a name of any other shape are kept. Runs in the target's
# directory.
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
    # The staging directory of a write spread over several execs has no writer pid. Each of
    # its execs appends at once, so one untouched for an hour belongs to a client that died
    # between execs.
    if [[ $rest =~ ^[a-z0-9]+$ ]]; then
      mtime=$(stat -c %Y -- "$f/data" 2>/dev/null || stat -c %Y -- "$f" 2>/dev/null) || continue
      if ((now - mtime > 3600)); then rm -rf -- "$f" 2>/dev/null || :; fi
      continue
    fi
    [[ $rest =~ ^[a-z0-9]+-([0-9]+)-([0-9]+)$ ]] || continue
    [ "${BASH_REMATCH[1]}" = "$ns" ] || continue
    pid=${BASH_REMATCH[2]}
    kill -0 "$pid" 2>/dev/null && continue
    err=$(kill -0 "$pid" 2>&1) && continue
    case $err in *"No such process"*) rm -rf -- "$f" 2>/dev/null || : ;; esac
  done
}
# Writes the content into "$1": trunc 1 starts it, 0 appends. An in-place write opens the
# target itself with O_NOFOLLOW (dd): a symbolic link put there since the checks above is
# refused (ELOOP), never written through.
put() {
  local f=$1 trunc=$2 flags=nofollow conv=
  shift 2
  if [ "$trunc" = 0 ]; then flags=append,nofollow conv=conv=notrunc; fi
  if [ "$src" = stdin ]; then
    dd of="$f" oflag="$flags" ${conv:+"$conv"} bs=65536 status=none
  else
    printf '%s' "$@" | base64 -d | dd of="$f" oflag="$flags" ${conv:+"$conv"} bs=65536 status=none
  fi
}
# Goes to the target's directory and makes the staging directory there, with an empty file
# "data" in it (exclusively: nothing else is there).
prepare() {
  if [ "$mkdirs" = 1 ] && [ ! -d "$dir" ]; then try mkdir -p -- "$dir"; fi
  if [ -d "$p" ] && [ ! -L "$p" ]; then fail EISDIR; fi
  enter_dir
  sweep
  make_stage "$name"
  set -C
  if ! { : >data; } 2>/dev/null; then
    if ! err=$( { : >data; } 2>&1 ); then failed "$err"; fi
  fi
  set +C
}
# A later exec of a write spread over several: the staging directory made by "begin".
staged() {
  enter_dir
  enter_stage "$name"
  if [ ! -f data ] || [ -L data ]; then
    printf 'staged temp file is missing\n' >&2
    fail EIO
  fi
}
# Mode and owner are kept from a regular file being replaced (one lstat of it: type, owner,
# mode); a symlink being replaced is not that file, and its target's are not copied. Every
# change is to "data" in the staging directory, and the rename is to "../<name>".
# VM_FILES_NO_CHOWN=1 (a provider without file ownership) turns the owner part off: nothing
# is chowned.
finish() {
  local info kind= keep_owner= keep_mode=
  info=$(stat -c '%F:%u:%g:%a' -- "../$base" 2>/dev/null) || info=
  case $info in "regular file:"*|"regular empty file:"*) kind=file ;; esac
  if [ "$kind" = file ]; then
    info=${info#*:}
    keep_owner=${info%:*}
    keep_mode=${info##*:}
  fi
  if [ -n "$owner" ] || [ -n "$group" ]; then
    try chown -- "$owner${group:+:$group}" data
  elif [ "$EUID" = 0 ] && [ "${VM_FILES_NO_CHOWN:-}" != 1 ] && [ -n "$keep_owner" ]; then
    chown -- "$keep_owner" data 2>/dev/null || :
  fi
  if [ -n "$mode" ]; then
    try chmod -- "$mode" data
  elif [ -n "$keep_mode" ]; then
    try chmod -- "$keep_mode" data
  else
    # The mode a new file gets: 0666 less the caller's umask (the staging directory's file is private).
    try chmod -- "$(printf '%o' $(( 0666 & ~0$umask_was )))" data
  fi
  try mv -f -T -- data "../$base"
}
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
# partial new file (the EXIT trap's cleanup, through $created). A target that existed is
# written in place and is partial then: that is what in place means (writeFileAtomic keeps
# the old content).
is_new() { [ ! -e "$p" ] && [ ! -L "$p" ]; }
# A FIFO, socket or device at the target is refused: an in-place write would open it, an
# atomic one would replace it (deleting /dev/null breaks the instance).
if special "$p"; then
  case $phase in all|begin|commit) not_regular "$p" ;; esac
fi
case $phase in
  all)
    if [ "$how" = inplace ]; then
      if [ -d "$p" ]; then fail EISDIR; fi
      if is_new; then created=$p; fi
      run put "$p" 1 "$@"
      # Cut short: a new target goes (trap), an existing one is partial but the write fails.
      check_size "$p"
      created=
    else
      prepare
      run put data 1 "$@"
      check_size data
      finish
    fi ;;
  begin)
    prepare
    run put data 1 "$@"
    # The staging directory stays for the next exec.
    cd .. && stage= stage_in= ;;
  append)
    staged
    run put data 0 "$@"
    cd .. && stage= stage_in= ;;
  commit)
    staged
    run put data 0 "$@"
    check_size data
    if [ "$how" = inplace ]; then
      if [ -d "$p" ]; then fail EISDIR; fi
      if is_new; then created=$p; fi
      # The staging directory goes too (cleanup), and so does a target this write created.
      if ! err=$(dd if=data of="$p" oflag=nofollow bs=65536 status=none 2>&1); then failed "$err"; fi
      created=
    else
      finish
    fi ;;
  abort)
    # This write's staging directory, and the one a one-exec write of the same suffix that
    # was killed (timeout, abort) left under that suffix plus -<pid namespace>-<pid>.
    enter_dir
    set +f
    rm -rf -- "$name" "$name"-* 2>/dev/null || :
    set -f ;;
esac
