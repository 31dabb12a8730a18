#!/usr/bin/env bash
# shellcheck shell=bash
# FILE_IS_DIRECTORY_SCRIPT: `yes` when the path is a directory (following symlinks).
# Runs after prelude.sh (script() in ../scripts.ts prepends it): fail, failed, run, try, probe
# and not_regular come from there. Arguments are documented on the exported constant.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

if [ -d "$1" ]; then echo yes; else echo no; fi
