#!/usr/bin/env bash
# Make sure a Docker engine answers, starting one if needed.
#
#   bash scripts/docker-engine.sh        (also: pnpm docker:up)
#
# - If an engine answers (DOCKER_HOST, or the default socket), exit 0 at once.
# - Otherwise, on Debian as root: install Debian's docker.io if dockerd is missing, start
#   `dockerd --bridge=none --iptables=false --ip6tables=false` detached, and wait until it answers.
# Safe to run any number of times, also concurrently (the start is serialised with flock).
#
# Environment:
#   VM_DOCKERD_LOG            dockerd's log file          (default /var/log/vm-dockerd.log)
#   VM_DOCKER_START_TIMEOUT   seconds to wait for answers (default 600: a daemon with many stale
#                             sandboxes from an unclean shutdown spends minutes cleaning them up)
set -euo pipefail

log() { printf '[docker-engine] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

engine_answers() {
  # `timeout` keeps a wedged socket from hanging the caller forever.
  command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1
}

if engine_answers; then
  exit 0
fi

# Starting a local daemon only helps when the client talks to the local default socket.
default_socket=/var/run/docker.sock
if [[ -n "${DOCKER_HOST:-}" && "${DOCKER_HOST}" != "unix://${default_socket}" && "${DOCKER_HOST}" != "unix:///run/docker.sock" ]]; then
  die "DOCKER_HOST=${DOCKER_HOST} does not answer; this script only starts a local engine on ${default_socket}. Unset DOCKER_HOST or start that engine."
fi
[[ "$(id -u)" == 0 ]] || die "no Docker engine answers and starting one needs root (run as root, or start an engine yourself)."
[[ -f /etc/debian_version ]] || die "no Docker engine answers and this is not Debian: install and start Docker yourself."

lock_file="${VM_DOCKER_ENGINE_LOCK:-/tmp/vm-docker-engine.lock}"
exec 9>"$lock_file"
flock 9
# Another run may have brought the engine up while we waited for the lock.
if engine_answers; then
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  log "installing Debian's docker.io (apt-get) ..."
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package's init script from starting a daemon with default flags (bridge, iptables):
  # we start it ourselves with the flags this machine needs.
  created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  cleanup_policy() { if [[ "$created_policy" == 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi; }
  trap cleanup_policy EXIT
  apt-get -o DPkg::Lock::Timeout=300 update -q >&2
  apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends docker.io >&2
  cleanup_policy
  trap - EXIT
  command -v dockerd >/dev/null 2>&1 || die "docker.io installed but dockerd is not on PATH"
fi

log_file="${VM_DOCKERD_LOG:-/var/log/vm-dockerd.log}"
if pgrep -x dockerd >/dev/null 2>&1; then
  # A daemon started outside this script is still coming up: wait for it rather than start a second.
  log "a dockerd process exists but does not answer yet; waiting for it"
  started=0
else
  log "starting dockerd --bridge=none --iptables=false --ip6tables=false (log: ${log_file})"
  mkdir -p "$(dirname "$log_file")"
  # setsid + nohup: the daemon outlives this script and the caller's session and terminal.
  # 9>&-: the daemon must not hold the start lock (it outlives this script); from /, never from
  # the caller's directory, which may be removed while the daemon runs (a CI clone).
  (cd / && exec setsid nohup dockerd --bridge=none --iptables=false --ip6tables=false >>"$log_file" 2>&1 </dev/null 9>&-) &
  disown 2>/dev/null || true
  started=1
fi
started_at=$SECONDS

timeout_s="${VM_DOCKER_START_TIMEOUT:-600}"
deadline=$((SECONDS + timeout_s))
until engine_answers; do
  # setsid may fork, so $! is not the daemon: look for the process by name instead.
  if [[ "$started" == 1 ]] && ((SECONDS - started_at > 2)) && ! pgrep -x dockerd >/dev/null 2>&1; then
    tail -n 30 "$log_file" >&2 || true
    die "dockerd exited during start-up (log above, full log in ${log_file})"
  fi
  if ((SECONDS >= deadline)); then
    tail -n 30 "$log_file" >&2 || true
    die "the Docker engine did not answer within ${timeout_s}s (log: ${log_file})"
  fi
  sleep 0.5
done
log "Docker engine is up ($(docker info --format '{{.ServerVersion}}' 2>/dev/null))"
