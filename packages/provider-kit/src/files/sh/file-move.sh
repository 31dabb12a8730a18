#!/usr/bin/env bash
# shellcheck shell=bash
# FILE_MOVE_SCRIPT: renames a file or directory (mv -f -T).
# Runs after prelude.sh (script() in ../scripts.ts prepends it): fail, failed, run, try, probe
# and not_regular come from there. Arguments are documented on the exported constant.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

probe "$1"
run mv -f -T -- "$1" "$2"
