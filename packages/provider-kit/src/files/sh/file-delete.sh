#!/usr/bin/env bash
# shellcheck shell=bash
# FILE_DELETE_SCRIPT: deletes one non-directory entry (a symlink itself, never its target).
# Runs after prelude.sh (script() in ../scripts.ts prepends it): fail, failed, run, try, probe
# and not_regular come from there. Arguments are documented on the exported constant.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

p=$1
probe "$p"
if [ -d "$p" ] && [ ! -L "$p" ]; then fail EISDIR; fi
# A FIFO, socket or device is not removed: deleting /dev/null breaks every later command.
if special "$p"; then not_regular "$p"; fi
try rm -f -- "$p"
