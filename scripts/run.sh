#!/usr/bin/env bash
# The README's two quickstart commands:
#
#   bash scripts/run.sh demo [args...]   build everything, then run the demo (@vm/demo)
#   bash scripts/run.sh test             build, typecheck, lint (shellcheck too), unit tests, package checks, integration tests
#
# Works on a fresh Debian machine with only an old Node (and its npm): it installs Node >= 22 and
# pnpm 10 into /usr/local when missing, installs the workspace, brings up a Docker engine
# (scripts/docker-engine.sh) and builds the VM images (scripts/base-image.sh: vm-minimal and vm-base)
# unless VM_MINIMAL_IMAGE and VM_BASE_IMAGE already name images in the engine.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

log() { printf '[run] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() { echo "usage: bash scripts/run.sh test | demo [args...]" >&2; }
cmd="${1:-}"
case "$cmd" in
  test | demo) shift ;;
  *) usage; exit 2 ;;
esac

NODE_MAJOR_MIN=22
NODE_INSTALL="node@24"
PNPM_INSTALL="pnpm@10"

export PATH="/usr/local/bin:$PATH"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
pnpm_major() { pnpm --version 2>/dev/null | cut -d. -f1 || echo 0; }

# Node >= 22 and pnpm 10. The system npm has prefix /usr, where `npm i -g node@24` collides with
# /usr/bin/node (EEXIST); installing into /usr/local, which comes first on PATH, does not.
need=()
if ! command -v node >/dev/null 2>&1 || (($(node_major) < NODE_MAJOR_MIN)); then need+=("$NODE_INSTALL"); fi
if ! command -v pnpm >/dev/null 2>&1 || [[ "$(pnpm_major)" != 10 ]]; then need+=("$PNPM_INSTALL"); fi
if ((${#need[@]} > 0)); then
  command -v npm >/dev/null 2>&1 || die "npm is missing: install Node.js (any version with npm) first"
  log "installing ${need[*]} into /usr/local (npm) ..."
  npm install --global --prefix /usr/local --no-audit --no-fund --no-update-notifier "${need[@]}" >&2
  hash -r
fi
(($(node_major) >= NODE_MAJOR_MIN)) || die "node $(node --version) is older than ${NODE_MAJOR_MIN} after install"
[[ "$(pnpm_major)" == 10 ]] || die "pnpm $(pnpm --version 2>/dev/null) is not 10 after install"
log "node $(node --version), pnpm $(pnpm --version)"

# Fresh clones have no node_modules; the lock serialises with other pnpm runs in this tree.
if command -v flock >/dev/null 2>&1; then
  flock /tmp/pnpm.lock pnpm install --frozen-lockfile >&2
else
  pnpm install --frozen-lockfile >&2
fi

# `test` lints every shell script (pnpm lint:shell) with Debian's shellcheck.
if [[ "$cmd" == test ]] && ! command -v shellcheck >/dev/null 2>&1; then
  [[ -f /etc/debian_version ]] || die "shellcheck is missing and this is not Debian: install shellcheck first"
  [[ "$(id -u)" == 0 ]] || die "shellcheck is missing and installing it needs root (apt-get install shellcheck)"
  log "installing shellcheck (apt-get) ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -q >&2
  apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends shellcheck >&2
fi

bash scripts/docker-engine.sh
# Two images: vm-base (Debian + Node + PM2) and vm-minimal (the same Debian without them, like
# Morph's morphvm-minimal). Each may be your own (VM_BASE_IMAGE, VM_MINIMAL_IMAGE); the missing
# ones are built (cached by recipe hash).
if [[ -z "${VM_BASE_IMAGE:-}" || -z "${VM_MINIMAL_IMAGE:-}" ]]; then
  images_out="$(bash scripts/base-image.sh)"
  VM_BASE_IMAGE="${VM_BASE_IMAGE:-$(printf '%s\n' "$images_out" | tail -n 1)}"
  VM_MINIMAL_IMAGE="${VM_MINIMAL_IMAGE:-$(printf '%s\n' "$images_out" | tail -n 2 | head -n 1)}"
fi
[[ -n "$VM_BASE_IMAGE" && -n "$VM_MINIMAL_IMAGE" ]] || die "scripts/base-image.sh did not print the two image references"
# Your own base image needs bash, coreutils, node and pm2; your own minimal image bash and coreutils.
for var in VM_BASE_IMAGE VM_MINIMAL_IMAGE; do
  docker image inspect "${!var}" >/dev/null 2>&1 ||
    die "$var=${!var} is not in the Docker engine (docker pull it first, or unset $var to build it)"
done
log "base image: $VM_BASE_IMAGE, minimal image: $VM_MINIMAL_IMAGE"
export VM_BASE_IMAGE VM_MINIMAL_IMAGE

case "$cmd" in
  test)
    # Every stage runs even when an earlier one failed, so one run reports everything that is broken.
    started=$SECONDS
    failed=()
    # Report every failing task, not just the first (tasks whose dependencies failed are skipped).
    pnpm turbo run build typecheck lint test --continue=dependencies-successful || failed+=("build/typecheck/lint/unit tests (turbo)")
    pnpm check:packages || failed+=("package checks (publint, attw)")
    { pnpm exec tsc -p test/tsconfig.json && pnpm exec tsc -p test-setup/tsconfig.json && pnpm exec eslint test test-setup; } ||
      failed+=("typecheck/lint of test/ and test-setup/")
    mkdir -p reports
    rm -f reports/integration.json
    pnpm vitest run --project integration --reporter=default --reporter=json --outputFile.json=reports/integration.json ||
      failed+=("integration tests")
    # One plain closing line with the integration counts, whatever the outcome.
    # shellcheck disable=SC2016 # the ${...} are the JavaScript template literal's, not the shell's.
    node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const skipped = r.numPendingTests + r.numTodoTests;
      console.log(`integration: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
    ' reports/integration.json 2>/dev/null || log "no integration report (reports/integration.json)"
    if ((${#failed[@]} > 0)); then
      for f in "${failed[@]}"; do log "FAILED: $f"; done
      die "$((${#failed[@]})) stage(s) failed after $((SECONDS - started))s"
    fi
    log "all checks passed in $((SECONDS - started))s"
    ;;
  demo)
    pnpm turbo run build
    pnpm --filter @vm/demo start -- "$@"
    ;;
esac
