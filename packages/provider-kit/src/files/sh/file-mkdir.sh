#!/usr/bin/env bash
# shellcheck shell=bash
# FILE_MKDIR_SCRIPT: creates a directory (`$2` = 1: like mkdir -p).
# Runs after prelude.sh (script() in ../scripts.ts prepends it): fail, failed, run, try, probe
# and not_regular come from there. Arguments are documented on the exported constant.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

p=$1
if [ "$2" = 1 ]; then
  if [ -d "$p" ]; then exit 0; fi
  if [ -e "$p" ] || [ -L "$p" ]; then fail EEXIST; fi
  try mkdir -p -- "$p"
else
  try mkdir -- "$p"
fi
