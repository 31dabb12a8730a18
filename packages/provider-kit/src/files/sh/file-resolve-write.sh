#!/usr/bin/env bash
# shellcheck shell=bash
# FILE_RESOLVE_WRITE_SCRIPT (../resolve-scripts.ts): where the kernel resolves a path for a
# write (parent followed, last name not).
# Runs after prelude.sh (script() in ../scripts.ts prepends it): fail, failed, run, try, probe
# and not_regular come from there. Arguments are documented on the exported constant.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

p=$1
case $p in */|*/.|*/..) fail EISDIR ;; /*) ;; *) fail EINVAL ;; esac
dir=${p%/*}
[ -n "$dir" ] || dir=/
probe "$dir"
if [ ! -d "$dir" ]; then fail ENOTDIR; fi
if [ -L "$p" ]; then kind=l
elif [ -d "$p" ]; then fail EISDIR
elif [ -f "$p" ]; then kind=f
elif [ -e "$p" ]; then kind=o
else kind=n
fi
if [ ! -w "$dir" ] || [ ! -x "$dir" ]; then fail EACCES; fi
real=$(realpath -e -- "$dir" && echo x) || fail EIO
real=${real%?x}
where=mount
if [ "$(stat -c %m -- "$real")" = / ]; then where=root; fi
# A file that is itself a mount point (/etc/hosts) is not on the root filesystem either.
if [ "$kind" = f ] && [ "$(stat -c %m -- "$p")" != / ]; then where=mount; fi
printf '%s %s ' "$kind" "$where"
printf '%s' "$real" | base64 -w0
printf '\n'
