#!/usr/bin/env bash
# shellcheck shell=bash
# FILE_DELETE_DIRECTORY_SCRIPT: deletes a directory tree; never through a symlink, never /.
# Runs after prelude.sh (script() in ../scripts.ts prepends it): fail, failed, run, try, probe
# and not_regular come from there. Arguments are documented on the exported constant.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

p=$1
# "/x/link/" would make every test below follow the link: strip trailing slashes first.
while [ "${#p}" -gt 1 ] && [ "${p%/}" != "$p" ]; do p=${p%/}; done
case $p in */.|*/..) fail EINVAL ;; esac
probe "$p"
if [ -L "$p" ] || [ ! -d "$p" ]; then fail ENOTDIR; fi
if [ "$p" -ef / ]; then fail EINVAL; fi
try rm -rf -- "$p"
