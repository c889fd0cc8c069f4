#!/usr/bin/env bash
# bench/vpn.sh — TCP throughput through devenv's WireGuard devices (vpn/wg,
# wireguard-go on TUN) in network namespaces, next to the raw veth, a bare
# device pair and a pair of the real wireguard-go daemon in the same run.
#
#   sudo bash bench/vpn.sh [ROUNDS]     (from the repo root; ROUNDS defaults to 3)
#   SECS=10 sudo bash bench/vpn.sh      (seconds per iperf3 run; default 4)
#
# Hosts hub, a and b are namespaces on one bridge (underlay 10.9.0.0/24).
# Measured, a → b with one iperf3 TCP stream, median over the rounds:
#   raw veth          a → b over the bridge, no WireGuard
#   bare pair         a → b, a device on each configured only with `wg set`
#                     (direct peers, 10.201.0.0/24)
#   wireguard-go      a → b, the same with the wireguard-go daemon itself
#                     (golang.zx2c4.com/wireguard's main package at go.mod's
#                     version, run with -f; 10.202.0.0/24), configured with
#                     `wg set` and `ip`
#   client → hub      a → hub through devenv's topology (10.200.0.0/16; a and b
#                     peer with the hub only, peers set through vpn/wg SetPeer)
#   client → client   a → b through the hub, which forwards (ip_forward=1)
# The other devices are bench/vpnpair, which calls vpn/wg directly: this
# measures the data path of devenv's hub and nodes, not the hub's control
# plane. Each round runs every path once; the order rotates (round r starts
# at path (r-1) mod 5 of the list above), so that no path always runs first.
# Namespaces, devices, UAPI sockets, iperf3 servers and the temp dir are
# removed on every exit, also after a failure or Ctrl-C.
# Needs root, ip, wg (wireguard-tools) and iperf3. Figures go to stdout,
# progress to stderr. It is not a test.
set -euo pipefail

rounds=${1:-3}
secs=${SECS:-4}
if [[ ! $rounds =~ ^[1-9][0-9]*$ || ! $secs =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: [SECS=N] bash bench/vpn.sh [ROUNDS]   (positive integers)" >&2
	exit 2
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for tool in ip wg iperf3; do
	command -v $tool >/dev/null || { echo "bench/vpn.sh needs $tool (apt-get install -y iproute2 wireguard-tools iperf3)" >&2; exit 2; }
done
[[ $(id -u) == 0 ]] || { echo "bench/vpn.sh needs root (namespaces, TUN)" >&2; exit 2; }

p=bv$$ # namespaces and interface names
tmp=$(mktemp -d)
pids=() # of the devices and iperf3 servers
sockdir=/var/run/wireguard # wireguard-go's and vpn/wg's UAPI sockets
[[ -d $sockdir ]] && sockdir_existed=1 || sockdir_existed=0
cleanup() {
	local ns
	for f in "$tmp"/iperf-*.pid; do [[ -f $f ]] && pids+=("$(tr -dc 0-9 <"$f")"); done
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for ns in hub a b br; do
		# anything still running in this run's namespaces was started by it
		for pid in $(ip netns pids "$p-$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
		ip netns del "$p-$ns" 2>/dev/null || true
	done
	rm -f "$sockdir/$p"*.sock
	((sockdir_existed)) || rmdir "$sockdir" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "bench/vpn.sh: interrupted; cleaning up" >&2; exit 130' INT TERM

echo "building bench/vpnpair and wireguard-go" >&2
go build -o "$tmp/vpnpair" ./bench/vpnpair
# The module is required by go.mod, so this builds the version devenv uses,
# from the module cache.
go build -o "$tmp/wireguard-go" golang.zx2c4.com/wireguard
wggo_version="$("$tmp/wireguard-go" --version | head -n 1), module $(go list -m -f '{{.Path}} {{.Version}}' golang.zx2c4.com/wireguard)"

nsx() { local ns=$1; shift; ip netns exec "$p-$ns" "$@"; }
ip netns add "$p-br"
ip -n "$p-br" link add br0 type bridge
ip -n "$p-br" link set br0 up
i=0
declare -A under
for h in hub a b; do
	i=$((i + 1))
	under[$h]=10.9.0.$i
	ip netns add "$p-$h"
	ip -n "$p-$h" link set lo up
	ip -n "$p-br" link add v$i type veth peer name eth0 netns "$p-$h"
	ip -n "$p-br" link set v$i master br0 up
	ip -n "$p-$h" addr add "${under[$h]}/24" dev eth0
	ip -n "$p-$h" link set eth0 up
done
nsx hub sysctl -qw net.ipv4.ip_forward=1

declare -A priv pub
for d in hub a b pa pb ga gb; do
	priv[$d]=$(wg genkey)
	pub[$d]=$(wg pubkey <<<"${priv[$d]}")
done

# wait_link NS NAME: the device is up once its link is.
wait_link() {
	for _ in $(seq 50); do
		nsx "$1" ip link show "$2" 2>/dev/null | grep -q UP && return 0
		sleep 0.1
	done
	echo "device $2 in $1 did not come up" >&2
	exit 1
}
# start_wggo NS DEV PORT ADDR PEER ENDPOINT ALLOWED: the wireguard-go daemon
# in the foreground on a new TUN device $p$DEV with the key priv[DEV], then
# its key, port and peer set through its UAPI socket with wg, its address and
# link with ip.
start_wggo() {
	local ns=$1 dev=$2 port=$3 addr=$4 peer=$5 endpoint=$6 allowed=$7 name=$p$2
	WG_PROCESS_FOREGROUND=1 ip netns exec "$p-$ns" "$tmp/wireguard-go" -f "$name" >"$tmp/$name.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do
		[[ -S $sockdir/$name.sock ]] && break
		sleep 0.1
	done
	[[ -S $sockdir/$name.sock ]] || { echo "wireguard-go $name in $ns did not start:" >&2; cat "$tmp/$name.log" >&2; exit 1; }
	(umask 077 && echo "${priv[$dev]}" >"$tmp/$name.key")
	nsx "$ns" wg set "$name" private-key "$tmp/$name.key" listen-port "$port" \
		peer "$peer" endpoint "$endpoint" allowed-ips "$allowed"
	nsx "$ns" ip addr add "$addr" dev "$name"
	nsx "$ns" ip link set "$name" up
	wait_link "$ns" "$name"
}
start() { # start NS NAME ARGS…
	local ns=$1 name=$2
	shift 2
	ip netns exec "$p-$ns" "$tmp/vpnpair" -name "$name" "$@" &
	pids+=($!)
	wait_link "$ns" "$name"
}

echo "starting devices" >&2
# devenv topology: hub 10.200.0.1, a .2, b .3; spokes peer with the hub only
# and dial in with keepalives; the hub knows no endpoints, as in devenv.
start hub "${p}h" -key "${priv[hub]}" -addr 10.200.0.1/32 -route 10.200.0.0/16 \
	-peer "${pub[a]},,10.200.0.2/32" -peer "${pub[b]},,10.200.0.3/32"
start a "${p}a" -key "${priv[a]}" -addr 10.200.0.2/32 -route 10.200.0.0/16 \
	-keepalive 25s \
	-peer "${pub[hub]},${under[hub]}:51820,10.200.0.0/16"
start b "${p}b" -key "${priv[b]}" -addr 10.200.0.3/32 -route 10.200.0.0/16 \
	-keepalive 25s \
	-peer "${pub[hub]},${under[hub]}:51820,10.200.0.0/16"
# bare pair on port 51821, peers set with wg only.
start a "${p}pa" -key "${priv[pa]}" -addr 10.201.0.2/24 -port 51821
start b "${p}pb" -key "${priv[pb]}" -addr 10.201.0.3/24 -port 51821
nsx a wg set "${p}pa" peer "${pub[pb]}" endpoint "${under[b]}:51821" allowed-ips 10.201.0.3/32
nsx b wg set "${p}pb" peer "${pub[pa]}" endpoint "${under[a]}:51821" allowed-ips 10.201.0.2/32
# wireguard-go pair on port 51822.
start_wggo a ga 51822 10.202.0.2/24 "${pub[gb]}" "${under[b]}:51822" 10.202.0.3/32
start_wggo b gb 51822 10.202.0.3/24 "${pub[ga]}" "${under[a]}:51822" 10.202.0.2/32

for ns in hub b; do
	nsx "$ns" iperf3 -s -D -I "$tmp/iperf-$ns.pid" >/dev/null 2>&1 </dev/null
done
sleep 0.3
for target in "a ${under[b]}" "a 10.201.0.3" "a 10.202.0.3" "a 10.200.0.1" "a 10.200.0.3"; do
	set -- $target
	nsx "$1" ping -c1 -W2 "$2" >/dev/null || { echo "$1 cannot reach $2" >&2; exit 1; }
done

# mbits NS ADDR: receiver throughput of one TCP stream, Mbit/s.
mbits() {
	nsx "$1" iperf3 -c "$2" -t "$secs" -f m | awk '/receiver/ { print $(NF-2) }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

names=("raw veth" "bare pair" "wireguard-go" "client → hub" "client → client")
targets=("${under[b]}" 10.201.0.3 10.202.0.3 10.200.0.1 10.200.0.3)
n=${#names[@]}
declare -A runs
for r in $(seq "$rounds"); do
	# Round r starts at path (r-1) mod n and goes round the list.
	for ((j = 0; j < n; j++)); do
		k=$(((r - 1 + j) % n))
		v=$(mbits a "${targets[$k]}")
		runs[$k]+="$v "
		echo "round $r: ${names[$k]}: $v Mbit/s" >&2
	done
done

med() { tr ' ' '\n' <<<"${runs[$1]}" | grep . | median; }
ratio() { awk -v m="$1" -v p="$2" 'BEGIN { printf "%.2f", m / p }'; }
printf '%-16s %12s %10s %12s\n' "path" "Mbit/s" "vs pair" "vs wg-go"
pair=$(med 1)
wggo=$(med 2)
for ((k = 0; k < n; k++)); do
	m=$(med "$k")
	# padded by hand: printf's width counts bytes, and → is three
	printf '%s%*s %12.0f %10s %12s\n' "${names[$k]}" $((16 - ${#names[$k]})) '' "$m" "$(ratio "$m" "$pair")" "$(ratio "$m" "$wggo")"
done
echo "(one TCP stream a → b, median of $rounds × ${secs} s; $(nproc) CPUs; devices: bench/vpnpair on vpn/wg, userspace backend;"
echo " wireguard-go: $wggo_version, run with -f and configured with wg set and ip;"
echo " the order rotates: round r starts at path (r-1) mod $n of the table, so that no path always runs first)"
