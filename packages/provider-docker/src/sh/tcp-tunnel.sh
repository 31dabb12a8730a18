#!/bin/bash
# shellcheck shell=bash
# TCP_TUNNEL (../expose/tunnel.ts): one TCP connection to a port on the instance's own
# loopback, carried over an exec's stdin and stdout, so instances.expose() (and the Morph
# emulator's HTTP services) reach a service inside the instance without ever connecting to a
# container address: it works on an engine without a bridge network. It needs only bash (built
# with /dev/tcp, as Debian's is) and cat: no Node, no curl, so it works on a minimal image.
# A caller may run it under `timeout -s KILL` (which kills the whole process group) to bound it.
# argv: bash -c TCP_TUNNEL vm-tunnel <port>
#
# Embedded by scripts/embed-shell.mjs: the script is everything after the first blank line.

exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 7
# A background job's stdin would be /dev/null: keep the exec's stdin on fd 4 for the writer.
exec 4<&0
cat <&4 >&3 &
writer=$!
cat <&3 &
reader=$!
# The connection ends when either side ends: the service closes it, or the exec's stdin closes
# (the caller never half-closes it: its client is gone, or the service was unexposed, or the
# engine dropped the exec). Then the other side goes too, at once.
wait -n
kill "$writer" "$reader" 2>/dev/null
exit 0
