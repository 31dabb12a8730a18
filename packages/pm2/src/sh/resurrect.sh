#!/bin/sh
# shellcheck shell=sh
# PM2_RESURRECT_SCRIPT (../save.ts): for a provider's boot step. When a PM2 dump exists under
# DEFAULT_PM2_HOME (/var/lib/vm/pm2; a unit test checks they agree) and pm2 is installed, it runs
# `pm2 resurrect` so the processes pm2Save saved come back. A subshell that prints nothing and
# always exits 0: a broken dump never fails a boot.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

(
  PM2_HOME='/var/lib/vm/pm2'
  export PM2_HOME
  if [ -s "$PM2_HOME/dump.pm2" ] && command -v pm2 >/dev/null 2>&1; then
    pm2 resurrect >/dev/null 2>&1
  fi
) || true
