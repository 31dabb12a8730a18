#!/bin/sh
# shellcheck shell=sh
# INSTALL_SCRIPT (../install-steps.ts): installPM2's work inside the VM, run as
# /bin/sh -c INSTALL_SCRIPT vm-pm2-install <op> <prefix> <args...>. Values arrive only as
# positional arguments. Ops:
#   probe   <prefix>                               prints node=<version>, pm2=<version> (empty: not on
#                                                  PATH), user=, arch=, libc=, fetch= (curl, wget or empty)
#   unpack  <prefix> <upload dir> <top>            installs what the client uploaded to <upload dir>, then
#                                                  deletes the directory: node.gz.* (parts, in name order,
#                                                  of a gzip'd node executable) as <prefix>/bin/node, and
#                                                  pm2.tgz.* (parts of a tar.gz whose top directory <top>
#                                                  is the pm2 package) as <prefix>/lib/node_modules/pm2
#   network <prefix> <node version|""> <pm2 version|"">  downloads Node from nodejs.org (curl or wget)
#                                                  and installs pm2 with that Node's npm
# <prefix>/bin goes first on PATH for the checks, as it does for the execs that run pm2 later
# (PATH normally has /usr/local/bin before /usr/bin). Exit 0 on success; else stderr says why.
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

set -eu
op="$1"
prefix="$2"
shift 2
PATH="$prefix/bin:$PATH"
export PATH

pm2_version() {
  p="$(command -v pm2 2>/dev/null)" || return 0
  command -v node >/dev/null 2>&1 || return 0
  # The package.json next to pm2's bin/, found without running pm2 (that would start a daemon).
  node -e 'const fs = require("fs"), path = require("path");
    const pkg = path.join(path.dirname(fs.realpathSync(process.argv[1])), "..", "package.json");
    const j = JSON.parse(fs.readFileSync(pkg, "utf8"));
    if (j.name === "pm2") process.stdout.write(j.version);' "$p" 2>/dev/null || true
}

case "$op" in
  probe)
    node_v=""
    if command -v node >/dev/null 2>&1; then node_v="$(node -p 'process.versions.node' 2>/dev/null || true)"; fi
    fetch=""
    if command -v curl >/dev/null 2>&1; then fetch=curl; elif command -v wget >/dev/null 2>&1; then fetch=wget; fi
    libc=musl
    if getconf GNU_LIBC_VERSION >/dev/null 2>&1; then libc=glibc; fi
    printf 'node=%s\npm2=%s\nuser=%s\narch=%s\nlibc=%s\nfetch=%s\n' \
      "$node_v" "$(pm2_version)" "$(id -un 2>/dev/null || id -u)" "$(uname -m)" "$libc" "$fetch"
    ;;
  unpack)
    uploads="$1"; top="$2"
    trap 'rm -rf "$uploads" "$prefix/lib/node_modules/.vm-pm2-install.$$" "$prefix/bin/.node.$$"' EXIT
    mkdir -p "$prefix/bin" "$prefix/lib/node_modules"
    # The parts were written in parallel; their zero-padded names sort in upload order.
    if [ -e "$uploads/node.gz.0000" ]; then
      # Written next to its place, then renamed over it: a running node keeps its old file.
      cat "$uploads"/node.gz.* | gzip -dc >"$prefix/bin/.node.$$"
      chmod 755 "$prefix/bin/.node.$$"
      mv -f "$prefix/bin/.node.$$" "$prefix/bin/node"
    fi
    if [ -e "$uploads/pm2.tgz.0000" ]; then
      stage="$prefix/lib/node_modules/.vm-pm2-install.$$"
      mkdir -p "$stage"
      cat "$uploads"/pm2.tgz.* | tar -xzf - -C "$stage" --no-same-owner
      [ -f "$stage/$top/bin/pm2" ] || { echo "the uploaded pm2 tree has no $top/bin/pm2" >&2; exit 1; }
      rm -rf "$prefix/lib/node_modules/pm2"
      mv "$stage/$top" "$prefix/lib/node_modules/pm2"
      for b in pm2 pm2-runtime; do
        ln -sf "../lib/node_modules/pm2/bin/$b" "$prefix/bin/$b"
      done
    fi
    ;;
  network)
    node_version="$1"; pm2_version="$2"
    if [ -n "$node_version" ]; then
      case "$(uname -m)" in
        x86_64) arch=x64 ;;
        aarch64) arch=arm64 ;;
        *) echo "no Node.js build for $(uname -m) on nodejs.org" >&2; exit 1 ;;
      esac
      url="https://nodejs.org/dist/v$node_version/node-v$node_version-linux-$arch.tar.gz"
      tmp="$(mktemp -d)"
      trap 'rm -rf "$tmp"' EXIT
      if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 3 -o "$tmp/node.tar.gz" "$url"
      elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$tmp/node.tar.gz" "$url"
      else
        echo "neither curl nor wget is in the VM: install one, or use installPM2's source \"upload\"" >&2
        exit 1
      fi
      mkdir -p "$prefix"
      tar -xzf "$tmp/node.tar.gz" -C "$prefix" --strip-components=1 --no-same-owner \
        --exclude=CHANGELOG.md --exclude=README.md --exclude=LICENSE
    fi
    if [ -n "$pm2_version" ]; then
      command -v npm >/dev/null 2>&1 || { echo "npm is not on PATH to install pm2 with" >&2; exit 1; }
      npm install --global --prefix "$prefix" --no-audit --no-fund --no-update-notifier "pm2@$pm2_version" >&2
    fi
    ;;
  *)
    echo "vm-pm2-install: unknown operation" >&2
    exit 2
    ;;
esac
