#!/usr/bin/env bash
# Make sure a Podman engine serves the Docker API on a local socket, starting one if needed, and
# load images into it from the Docker engine. Prints `unix://<socket>` (a DOCKER_HOST value) on
# the last line of stdout.
#
#   bash scripts/podman-engine.sh [image-ref...]      (also: pnpm podman:up)
#
# - On Debian as root: installs Debian's podman and catatonit if missing.
# - Writes its own containers.conf (never the system's) and starts
#   `podman system service --time=0` on the socket with it, detached, unless it already answers.
#   Settings, and why (see docs/engines.md):
#     cgroup_manager = "cgroupfs", events_logger = "file": no systemd here;
#     netns = "none": containers get only loopback, as Docker's --bridge=none gives them;
#     default_ulimits nofile/nproc 20000: Podman's root defaults are above what this sandbox
#       allows ("error setting rlimit type 7: operation not permitted");
#     init_path: catatonit, for HostConfig.Init (the provider sets it);
#     exit_command_delay = 30: conmon processes of ended execs go after 30 s, not 300 s.
# - Loads each image-ref that Podman lacks (or has with another id) with `docker save | podman
#   load`: no registry.
# Safe to run any number of times, also concurrently (serialised with flock).
#
# Environment:
#   VM_PODMAN_SOCKET          the socket path            (default /run/vm-podman/podman.sock)
#   VM_PODMAN_LOG             the service's log file     (default /var/log/vm-podman.log)
#   VM_PODMAN_START_TIMEOUT   seconds to wait for it     (default 120)
set -euo pipefail

log() { printf '[podman-engine] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

socket="${VM_PODMAN_SOCKET:-/run/vm-podman/podman.sock}"
host="unix://${socket}"
conf_dir=/etc/vm-podman
conf="${conf_dir}/containers.conf"

answers() {
  # The Docker CLI against Podman's compat API: what the provider will talk to.
  timeout 10 docker -H "$host" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

[[ "$(id -u)" == 0 ]] || die "this script runs Podman as root (run as root)"

exec 9>"${VM_PODMAN_ENGINE_LOCK:-/tmp/vm-podman-engine.lock}"
flock 9

if ! command -v podman >/dev/null 2>&1 || ! command -v catatonit >/dev/null 2>&1; then
  [[ -f /etc/debian_version ]] || die "podman or catatonit is missing and this is not Debian: install them yourself"
  log "installing Debian's podman and catatonit (apt-get) ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends podman catatonit >&2 ||
    { apt-get -o DPkg::Lock::Timeout=300 update -q >&2 && apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends podman catatonit >&2; }
fi
init_path="$(command -v catatonit)"

mkdir -p "$conf_dir" "$(dirname "$socket")"
wanted="$(cat <<EOF
# Written by scripts/podman-engine.sh: the settings this machine needs (see the script).
[containers]
netns = "none"
default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]
init_path = "${init_path}"

[engine]
# Each exec keeps its two conmon processes for this long after it ends (default 300 s, Docker's
# 5 minutes of exec inspect): the provider inspects at once, so 30 s spares ~90% of them.
exit_command_delay = 30
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
)"
if [[ "$(cat "$conf" 2>/dev/null || true)" != "$wanted" ]]; then
  printf '%s\n' "$wanted" >"$conf"
  # A service started with other settings must not keep serving.
  if pkill -f "podman system service --time=0 ${host}" 2>/dev/null; then log "restarting the service with new settings"; fi
fi
export CONTAINERS_CONF="$conf"
# The service's working directory is every conmon's: one started from a directory that was
# removed since (a CI clone) fails each container start ("conmon: Failed to get working
# directory"). It runs from /; one that does not is restarted.
for pid in $(pgrep -f "podman system service --time=0 ${host}" || true); do
  if [[ "$(readlink "/proc/${pid}/cwd" 2>/dev/null || true)" != / ]]; then
    log "restarting the service: it runs from $(readlink "/proc/${pid}/cwd" 2>/dev/null || echo '?'), not /"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
done

if ! answers; then
  log_file="${VM_PODMAN_LOG:-/var/log/vm-podman.log}"
  rm -f "$socket"
  log "starting podman system service on ${host} (log: ${log_file})"
  # 9>&-: the service must not hold the lock (it outlives this script); from /, never from
  # the caller's directory (see above).
  (cd / && exec setsid nohup podman system service --time=0 "$host" >>"$log_file" 2>&1 </dev/null 9>&-) &
  disown 2>/dev/null || true
  deadline=$((SECONDS + ${VM_PODMAN_START_TIMEOUT:-120}))
  until answers; do
    if ((SECONDS >= deadline)); then
      tail -n 30 "$log_file" >&2 || true
      die "Podman's API did not answer on ${host} (log: ${log_file})"
    fi
    sleep 0.5
  done
fi
log "Podman is up on ${host} ($(docker -H "$host" version --format '{{.Server.Version}}' 2>/dev/null))"

for ref in "$@"; do
  # Same name is not enough (a tag like :latest moves): the image ids (config digests) must match.
  want="$(docker image inspect --format '{{.Id}}' "$ref")" || die "${ref} is not in the Docker engine"
  have="$(podman image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)"
  if [[ "${want#sha256:}" != "${have#sha256:}" ]]; then
    log "loading ${ref} from the Docker engine"
    docker save "$ref" | podman load >&2
  fi
done

printf '%s\n' "$host"
