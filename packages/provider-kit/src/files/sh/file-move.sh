#!/usr/bin/env bash
# shellcheck shell=bash
# FILE_MOVE_SCRIPT: renames a file or directory (mv -f -T).
# Runs after prelude.sh (script() in ../scripts.ts prepends it): fail, failed, run, try, probe
# and not_regular come from there. Arguments are documented on the exported constant.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

probe "$1"
# A FIFO, socket or device is neither moved nor replaced (either side).
if special "$1"; then not_regular "$1"; fi
if special "$2"; then not_regular "$2"; fi
run mv -f -T -- "$1" "$2"
