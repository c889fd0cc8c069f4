#!/usr/bin/env bash
# bench/hub.sh — devenv's VPN hub under load, in network namespaces, with the
# real devenv binary (hub serve, vpn join, vpn up --foreground) and real
# WireGuard devices.
#
#   sudo bash bench/hub.sh [DEVICES] [ROUNDS]   (from the repo root; 1000 and 5)
#   KEEP=1 sudo bash bench/hub.sh               (keep the logs and state dirs)
#
# 1. Enrollment: DEVICES invites made through the hub's admin socket, then
#    DEVICES concurrent hubclient.Enroll calls, each with its own key and
#    connection, over HTTPS on the hub's loopback with the pinned
#    fingerprint; latency percentiles, wall time, distinct addresses, errors,
#    and the peers that the hub's WireGuard device holds afterwards.
# 2. Propagation: with those devices registered, ROUNDS times a fresh device
#    b joins and starts its node; the time from that start until the
#    existing node a gets an answer to a ping of b's tunnel address (sent
#    every 10 ms). Target ≤ 1 s for the median and the max.
# The work is done by bench/hubload (see its doc comment). Needs root, ip,
# wg (wireguard-tools) and /dev/net/tun. Figures go to stdout, progress to
# stderr. It is not a test.
set -euo pipefail

devices=${1:-1000}
rounds=${2:-5}
if [[ ! $devices =~ ^[1-9][0-9]*$ || ! $rounds =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: sudo bash bench/hub.sh [DEVICES] [ROUNDS]   (positive integers)" >&2
	exit 2
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ $(id -u) == 0 ]] || { echo "bench/hub.sh needs root (namespaces, TUN)" >&2; exit 2; }
for tool in ip wg; do
	command -v $tool >/dev/null || { echo "bench/hub.sh needs $tool (apt-get install -y iproute2 wireguard-tools)" >&2; exit 2; }
done
[[ -e /dev/net/tun ]] || { echo "bench/hub.sh needs /dev/net/tun" >&2; exit 2; }
# sudo often resets PATH; look where Go is usually installed.
GO=$(command -v go || true)
for g in /usr/local/go/bin/go /usr/lib/go/bin/go; do [[ -z $GO && -x $g ]] && GO=$g; done
[[ -n $GO ]] || { echo "bench/hub.sh needs Go (go build); put it on root's PATH" >&2; exit 2; }

tmp=$(mktemp -d)
# KEEP=1 keeps the logs, the hub's store and the nodes' state for a look.
trap 'if [[ -n ${KEEP:-} ]]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi' EXIT

echo "building devenv and bench/hubload" >&2
"$GO" build -o "$tmp/devenv" ./cmd/devenv
"$GO" build -o "$tmp/hubload" ./bench/hubload
mkdir "$tmp/work"

dirty=""
[[ -n $(git status --porcelain 2>/dev/null) ]] && dirty=" (working tree has changes)"
echo "# bench/hub.sh — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "command:  bash bench/hub.sh $*  (devices=$devices rounds=$rounds)"
echo "machine:  $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
echo "software: $("$GO" version | cut -d' ' -f3), devenv $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty"
echo "store:    the hub's data directory on $(df -T "$tmp" | awk 'NR == 2 { print $2 }') ($tmp)"

"$tmp/hubload" -devenv "$tmp/devenv" -work "$tmp/work" -devices "$devices" -rounds "$rounds"
