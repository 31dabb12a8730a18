#!/usr/bin/env bash
# shellcheck shell=bash
# FILE_EXISTS_SCRIPT: `yes` when the path exists (a dangling symlink too), else `no`.
# Runs after prelude.sh (script() in ../scripts.ts prepends it): fail, failed, run, try, probe
# and not_regular come from there. Arguments are documented on the exported constant.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

if [ -e "$1" ] || [ -L "$1" ]; then echo yes; else echo no; fi
