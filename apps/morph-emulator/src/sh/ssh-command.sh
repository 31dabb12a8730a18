#!/bin/sh
# shellcheck shell=sh
# SSH_COMMAND (../routes/exec-command.ts): runs an exec's command the way an SSH server does.
# The server joins the request's `command` elements with spaces; this runs that line with the
# user's login shell from /etc/passwd, as `<shell> -c LINE` (so the line is one argument: Linux
# caps it at 128 KiB), falling back to /bin/sh when that shell is missing.
# argv: sh -c SSH_COMMAND vm-sshd <line>
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

u=$(id -u) s=
while IFS=: read -r _ _ i _ _ _ sh || [ -n "$i" ]; do
  if [ "$i" = "$u" ]; then s=$sh; break; fi
done < /etc/passwd
[ -n "$s" ] && [ -x "$s" ] || s=/bin/sh
exec "$s" -c "$1"
