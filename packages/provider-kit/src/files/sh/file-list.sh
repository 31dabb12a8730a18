#!/usr/bin/env bash
# shellcheck shell=bash
# FILE_LIST_SCRIPT: a directory's entries, NUL-separated fields, base64 on one line.
# Runs after prelude.sh (script() in ../scripts.ts prepends it): fail, failed, run, try, probe
# and not_regular come from there. Arguments are documented on the exported constant.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

p=$1
probe "$p"
if [ ! -d "$p" ]; then fail ENOTDIR; fi
if ! cd -- "$p" 2>/dev/null; then
  err=$(cd -- "$p" 2>&1) && fail EIO
  failed "$err"
fi
listing() { find . -mindepth 1 -maxdepth 1 -printf '%f\0%Y\0%s\0%T@\0' | base64 -w0; }
run listing
