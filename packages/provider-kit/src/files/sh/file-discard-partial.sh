#!/usr/bin/env bash
# shellcheck shell=bash
# FILE_DISCARD_PARTIAL_SCRIPT: removes what a killed in-place write left (a short, fresh file).
# Runs after prelude.sh (script() in ../scripts.ts prepends it): fail, failed, run, try, probe
# and not_regular come from there. Arguments are documented on the exported constant.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

p=$1 size=$2 secs=$3
# Each on its own: "$size$secs" let an empty one through (then `-lt ""` failed quietly).
case $size in ""|*[!0-9]*) fail EINVAL ;; esac
case $secs in ""|*[!0-9]*) fail EINVAL ;; esac
if [ -L "$p" ] || [ ! -f "$p" ]; then exit 0; fi
info=$(stat -c '%s %Z' -- "$p" 2>/dev/null) || exit 0
now=$(date +%s) || exit 0
# Shorter than the content: the write stopped part-way (a complete file, or one another
# writer made longer, is kept).
if [ "${info% *}" -lt "$size" ] && [ "${info#* }" -ge $((now - secs)) ]; then rm -f -- "$p" 2>/dev/null || :; fi
