#!/bin/sh
# shellcheck shell=sh
# PASSWD_LOOKUP_FUNCTION (../identity.ts): POSIX sh function `vm_pw NAME_OR_UID`. Sets pw_name,
# pw_uid, pw_gid and pw_home (an empty home: /) from the first matching /etc/passwd entry and
# returns 0, or returns 1. A numeric argument matches by uid, any other by name, as container
# runtimes do (the file itself, not NSS). Embedded in other scripts (USER_LOOKUP_SCRIPT, Morph's
# exec wrapper); user values reach it as arguments only.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

vm_pw() {
  case $1 in *[!0-9]*) k=n;; *) k=i;; esac
  while IFS=: read -r n _ i g _ h _ || [ -n "$n" ]; do
    if [ "$k" = n ]; then [ "$n" = "$1" ] || { n=; continue; }; else [ "$i" = "$1" ] || { n=; continue; }; fi
    # shellcheck disable=SC2034 # the pw_* variables are the function's result, read by its caller.
    pw_name=$n pw_uid=$i pw_gid=$g pw_home=${h:-/}; return 0
  done < /etc/passwd
  return 1
}
