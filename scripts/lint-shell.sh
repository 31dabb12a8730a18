#!/usr/bin/env bash
# `pnpm lint:shell` (a step of `pnpm lint`, via turbo's //#lint:shell): shellcheck over every
# shell script in the repo (the *.sh files in packages, apps and scripts/, and .ci/run), then a
# check that the TypeScript modules embedding the packages' scripts are up to date.
# Each script names its shell in a `# shellcheck shell=...` directive (or its shebang).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

command -v shellcheck >/dev/null 2>&1 ||
  { echo "lint-shell: shellcheck is missing (apt-get install shellcheck; scripts/run.sh installs it)" >&2; exit 1; }

files=(.ci/run)
while IFS= read -r -d '' f; do files+=("$f"); done < <(
  find . \( -name node_modules -o -name dist -o -name .git -o -name .turbo \) -prune -o -type f -name '*.sh' -print0 | sort -z
)
shellcheck --version | sed -n 's/^version: /shellcheck /p'
shellcheck -- "${files[@]}"
echo "lint-shell: ${#files[@]} scripts clean"
node scripts/embed-shell.mjs --check
