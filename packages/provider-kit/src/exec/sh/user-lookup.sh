#!/bin/sh
# shellcheck shell=sh
# The tail of USER_LOOKUP_SCRIPT (../identity.ts), which runs after PASSWD_LOOKUP_FUNCTION
# (passwd-lookup.sh): prints the passwd entry of $1 as four lines (name, uid, gid, home) and
# exits 0, or exits 3 (USER_LOOKUP_NONE_EXIT) when there is none.
# argv: sh -c USER_LOOKUP_SCRIPT vm-user <user>
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

# shellcheck disable=SC2154 # vm_pw (passwd-lookup.sh, put before this text) sets pw_*.
vm_pw "$1" 2>/dev/null || exit 3
printf "%s\n" "$pw_name" "$pw_uid" "$pw_gid" "$pw_home"
