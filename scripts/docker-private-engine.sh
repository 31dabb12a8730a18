#!/usr/bin/env bash
# A private, throw-away Docker engine beside the shared one, for tests that restart or break an
# engine: the shared engine (scripts/docker-engine.sh) serves every other test file in parallel and
# is never touched.
#
#   bash scripts/docker-private-engine.sh start   <dir>                start it (or start it again); prints the socket path
#   bash scripts/docker-private-engine.sh stop    <dir> [TERM|KILL]    stop the daemon (default TERM); its state stays for a restart
#   bash scripts/docker-private-engine.sh load    <dir> <image>        copy an image from the shared engine into it
#   bash scripts/docker-private-engine.sh destroy <dir>                remove its containers, stop it, unmount and delete <dir>
#
# <dir> must be /tmp/vm-<name> (letters, digits, . _ -) and is created by `start`. Everything lives
# in it: socket <dir>/docker.sock, data <dir>/data, state <dir>/exec, <dir>/dockerd.pid,
# <dir>/dockerd.log. The flags are the shared engine's (--bridge=none --iptables=false
# --ip6tables=false) plus its own --config-file, so /etc/docker/daemon.json cannot interfere.
# dockerd starts and supervises its own containerd (socket in <dir>/exec/containerd; it dies with
# dockerd), so no --containerd is needed. After `stop KILL` the containers' shims outlive the
# daemon; the next `start` (no live-restore) stops those containers, and `destroy` removes them.
#
# `destroy` is safe to run any number of times, also on a half-started engine or after a crash.
# The file <dir>/.vm-private-engine marks the directory as ours (destroy refuses others) and
# records VM_TEST_RUN_ID, so the integration run's teardown can find engines a crashed test left.
#
# Needs root (dockerd). Environment:
#   VM_PRIVATE_ENGINE_TIMEOUT   seconds to wait for the daemon to answer / to exit (default 120)
#   VM_PRIVATE_ENGINE_DATA_MIB  `start` only: put the data root on a tmpfs of this many MiB, so a
#                               test can fill the engine's disk (unmounted by `destroy`)
set -Eeuo pipefail

log() { printf '[docker-private-engine] %s\n' "$*" >&2; }
# A command that fails outside a condition ends the script (set -e) without a word of its own
# (a destroy in CI exited 1 with an empty stderr): say which command it was.
trap 'log "failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR
die() { log "error: $*"; exit 1; }

usage() { echo "usage: bash scripts/docker-private-engine.sh start|stop|load|destroy <dir> [TERM|KILL|image]" >&2; exit 2; }
cmd="${1:-}"
dir="${2:-}"
[[ -n "$cmd" && -n "$dir" ]] || usage
# The directory is deleted with rm -rf and named in `pkill`-free process lookups: keep it narrow.
[[ "$dir" =~ ^/tmp/vm-[A-Za-z0-9._-]+$ && "$dir" != *..* ]] || die "the directory must be /tmp/vm-<name>, got: $dir"
# Unix socket paths are limited to 107 bytes; containerd's lives deepest.
((${#dir} <= 60)) || die "the directory name is too long for the engine's sockets: $dir"

sock="$dir/docker.sock"
pidfile="$dir/dockerd.pid"
marker="$dir/.vm-private-engine"
timeout_s="${VM_PRIVATE_ENGINE_TIMEOUT:-120}"

client() { timeout "${CLIENT_TIMEOUT:-60}" docker -H "unix://$sock" "$@"; }
answers() { [[ -S "$sock" ]] && timeout 10 docker -H "unix://$sock" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# The pid of a live process of this engine whose pid file is $1 (its command line must name $dir:
# a stale pid file whose pid was reused by another process is ignored).
live_pid() {
  local file=$1 pid
  [[ -s "$file" ]] || return 1
  pid=$(<"$file")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$dir/" || return 1
  printf '%s\n' "$pid"
}

# Every process whose command line names this engine's directory (dockerd, containerd, shims).
engine_pids() {
  local p
  for p in /proc/[0-9]*; do
    [[ "${p#/proc/}" == "$$" || "${p#/proc/}" == "$BASHPID" ]] && continue
    if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "$dir/"; then printf '%s\n' "${p#/proc/}"; fi
  done
}

wait_gone() {
  local pid=$1 deadline=$((SECONDS + $2))
  while [[ -e "/proc/$pid" ]]; do
    # A zombie is gone for our purposes (its parent reaps it).
    [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == Z ]] && return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

start() {
  mkdir -p "$dir"
  chmod 700 "$dir"
  [[ -e "$marker" ]] || printf 'run=%s\n' "${VM_TEST_RUN_ID:-}" >"$marker"
  [[ -e "$dir/daemon.json" ]] || printf '{}\n' >"$dir/daemon.json"
  local mib=${VM_PRIVATE_ENGINE_DATA_MIB:-}
  if [[ -n "$mib" ]] && ! mountpoint -q "$dir/data"; then
    [[ "$mib" =~ ^[1-9][0-9]{0,5}$ ]] || die "VM_PRIVATE_ENGINE_DATA_MIB must be a number of MiB, got: $mib"
    mkdir -p "$dir/data"
    mount -t tmpfs -o "size=${mib}m,mode=0711" vm-private-engine-data "$dir/data" || die "could not mount a ${mib} MiB tmpfs on $dir/data"
  fi
  if ! live_pid "$pidfile" >/dev/null; then
    [[ "$(id -u)" == 0 ]] || die "starting dockerd needs root"
    rm -f "$pidfile" "$sock"
    # setsid: the daemon outlives this script; its own pid file says which process it is.
    setsid dockerd -H "unix://$sock" --config-file "$dir/daemon.json" --data-root "$dir/data" --exec-root "$dir/exec" \
      --pidfile "$pidfile" --bridge=none --iptables=false --ip6tables=false >>"$dir/dockerd.log" 2>&1 </dev/null &
    disown 2>/dev/null || true
  fi
  local deadline=$((SECONDS + timeout_s))
  until answers; do
    if ((SECONDS > 5)) && ! live_pid "$pidfile" >/dev/null && ! jobs -pr | grep -q .; then
      tail -n 30 "$dir/dockerd.log" >&2 || true
      die "dockerd exited during start-up (log above, full log in $dir/dockerd.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$dir/dockerd.log" >&2 || true
      die "the private engine did not answer within ${timeout_s}s (log: $dir/dockerd.log)"
    fi
    sleep 0.2
  done
  printf '%s\n' "$sock"
}

stop() {
  local signal=${1:-TERM} pid cpid
  [[ "$signal" == TERM || "$signal" == KILL ]] || die "stop takes TERM or KILL, got: $signal"
  pid=$(live_pid "$pidfile") || return 0
  cpid=$(live_pid "$dir/exec/containerd/containerd.pid") || cpid=
  kill -s "$signal" "$pid" 2>/dev/null || true
  # A daemon frozen by a test (SIGSTOP) would act on SIGTERM only once continued.
  kill -CONT "$pid" 2>/dev/null || true
  # TERM: dockerd stops its containers (up to its 15 s shutdown timeout) and its containerd.
  if ! wait_gone "$pid" "$timeout_s"; then
    log "dockerd $pid did not exit within ${timeout_s}s after SIG$signal; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || die "dockerd $pid survived SIGKILL"
  fi
  # containerd dies with dockerd (parent-death signal). Until its new parent reaps it, it is a
  # zombie that still "exists", and a restarted dockerd that finds its pid file waits for it to
  # answer instead of starting a new one (then gives up): drop the stale pid file.
  if [[ -n "$cpid" ]] && [[ -e "/proc/$cpid" ]]; then
    wait_gone "$cpid" 10 || { kill -KILL "$cpid" 2>/dev/null || true; wait_gone "$cpid" 10 || die "containerd $cpid survived SIGKILL"; }
  fi
  rm -f "$dir/exec/containerd/containerd.pid"
}

load() {
  local image=${1:-}
  [[ -n "$image" ]] || usage
  answers || die "the private engine in $dir does not answer (start it first)"
  docker save "$image" | CLIENT_TIMEOUT=600 client load -q >&2
  client image inspect --format '{{.Id}}' "$image" >/dev/null || die "image $image did not arrive"
}

destroy() {
  [[ -e "$dir" ]] || return 0
  [[ -e "$marker" ]] || die "$dir has no $marker: not a private engine directory, not deleting it"
  # A daemon a crashed test left frozen (SIGSTOP) answers nothing until continued.
  local frozen
  if frozen=$(live_pid "$pidfile"); then kill -CONT "$frozen" 2>/dev/null || true; fi
  # Containers still running (shims left by a KILLed daemon) are stopped by a daemon restart;
  # then remove them all through the engine, which also releases their mounts.
  if live_pid "$pidfile" >/dev/null || [[ -n "$(engine_pids)" && -d "$dir/data" ]]; then
    # In a subshell: a start that dies (`die` exits) must not end the destroy, silently at that
    # (a destroy in CI exited 1 with an empty stderr: start's die, its output sent to /dev/null).
    local why
    if why=$( (start) 2>&1 >/dev/null); then
      local ids
      ids=$(client ps -aq 2>/dev/null || true)
      if [[ -n "$ids" ]]; then
        # shellcheck disable=SC2086 # one id per word
        client rm -f -v $ids >/dev/null 2>&1 || true
      fi
    else
      # Its last line says why (above it: the tail of dockerd.log).
      log "could not restart the daemon to remove its containers (${why##*$'\n'}); killing what is left"
    fi
    (stop TERM) || log "stop failed; killing what is left"
  fi
  # Last resort for anything of this engine still alive (by pid, each checked to name $dir):
  # first the children of its processes (a shim's child is a container's init; killing a pid
  # namespace's init kills every process in it), then the processes themselves.
  local pid child
  for pid in $(engine_pids); do
    for child in $(ps -o pid= --ppid "$pid" 2>/dev/null || true); do
      kill -KILL "$child" 2>/dev/null || true
    done
  done
  for pid in $(engine_pids); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in $(engine_pids); do wait_gone "$pid" 10 || log "process $pid of $dir is still alive"; done
  # Deepest mounts first (overlay layers, netns files, the data root's own bind mount).
  local mounts m
  mounts=$(awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  for m in $mounts; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done
  rm -rf -- "$dir"
  [[ ! -e "$dir" ]] || die "could not delete $dir"
}

case "$cmd" in
  start) start ;;
  stop) stop "${3:-TERM}" ;;
  load) load "${3:-}" ;;
  destroy) destroy ;;
  *) usage ;;
esac
