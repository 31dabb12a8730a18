#!/usr/bin/env bash
# Print the Debian mirror this machine's apt uses, so the base image is built from the same
# (possibly local) mirror instead of a hard-coded one. Prints nothing when there is none.
#
#   bash scripts/apt-mirror.sh [APT_DIR]      (APT_DIR defaults to /etc/apt)
#
# Read in apt's own order: deb822 files (sources.list.d/*.sources), then the one-line
# sources.list and sources.list.d/*.list. The first enabled `deb` entry wins whose suite is a
# Debian release (not -security, -updates or -backports: those live elsewhere or lack the
# release) and whose URI is http(s) or file (no cdrom:, no mirror+file: indirection).
set -euo pipefail
apt_dir="${1:-/etc/apt}"

usable_uri() { [[ "$1" =~ ^(https?|file):// ]]; }
release_suite() { [[ -n "$1" && ! "$1" =~ -(security|updates|backports|proposed-updates)$ ]]; }

shopt -s nullglob
for file in "$apt_dir"/sources.list.d/*.sources; do
  # One stanza per blank-line-separated block; fields are case-insensitive, comments start with #.
  while IFS=$'\t' read -r types uris suites enabled; do
    [[ " $types " == *" deb "* && "${enabled,,}" != "no" ]] || continue
    for suite in $suites; do
      release_suite "$suite" || continue
      for uri in $uris; do
        if usable_uri "$uri"; then printf '%s\n' "${uri%/}"; exit 0; fi
      done
    done
  done < <(awk '
    function flush() { if (types != "" || uris != "") printf "%s\t%s\t%s\t%s\n", types, uris, suites, enabled; types = uris = suites = enabled = ""; field = "" }
    /^[ \t]*#/ { next }
    /^[ \t]*$/ { flush(); next }
    /^[ \t]/ { if (field == "uris") uris = uris " " $0; else if (field == "suites") suites = suites " " $0; next }
    {
      split($0, kv, ":"); key = tolower(kv[1]); value = substr($0, length(kv[1]) + 2); gsub(/^[ \t]+|[ \t]+$/, "", value)
      field = key
      if (key == "types") types = value; else if (key == "uris") uris = value; else if (key == "suites") suites = value; else if (key == "enabled") enabled = value
    }
    END { flush() }' "$file")
done

for file in "$apt_dir"/sources.list "$apt_dir"/sources.list.d/*.list; do
  [[ -f "$file" ]] || continue
  while read -r type rest; do
    [[ "$type" == deb ]] || continue
    # Skip an options block: `deb [arch=amd64 signed-by=...] URI suite components`.
    if [[ "$rest" == \[* ]]; then rest="${rest#*]}"; fi
    read -r uri suite _ <<<"$rest"
    if release_suite "$suite" && usable_uri "$uri"; then printf '%s\n' "${uri%/}"; exit 0; fi
  done <"$file"
done
