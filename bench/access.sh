#!/usr/bin/env bash
# bench/access.sh — the production-access gateway: how exactly it cuts live
# connections at their grants' deadlines, and what its read-only HTTP proxy
# costs next to nginx as a plain reverse proxy, in the same run.
#
#   bash bench/access.sh [ROUNDS]          (from the repo root; ROUNDS defaults to 3)
#   SECS=10 CONNS="16 64" THREADS=2 bash bench/access.sh
#                                          (per wrk run: seconds, connection counts, threads)
#
# 1. Deadline precision (bench/accessbench deadline): per round, 50 grants
#    whose NotAfter are spread evenly over 2 s, each held by its own netstack
#    client device with one streaming GET (a line every 10 ms) through the
#    real gateway (access/gateway, in process, fake hub). late = the time the
#    client's read failed − NotAfter; p50/p99/max. Target p99 ≤ 100 ms.
# 2. HTTP path: wrk against three reverse proxies of one upstream (a tiny Go
#    server answering 26 bytes), all on 127.0.0.1, rounds alternating the
#    order:
#      nginx   Debian's nginx, proxy_pass with upstream keepalive
#      proxy   access/proxy/httpproxy's Proxy as the handler of a plain
#              net/http server — the proxy alone, no tunnel
#      tunnel  127.0.0.1 → wg.Forward (as access.Connect) → client netstack →
#              WireGuard over loopback UDP → gateway netstack → grant check →
#              the same Proxy, with its audit records
#    Medians of req/s, p50, p99 and their ratios to nginx. No target is set.
# Needs go, nginx, wrk and curl (apt-get install -y nginx wrk curl). Figures
# go to stdout, progress to stderr. It is not a test. Everything it starts
# and its temp dir are removed on exit, also after a failure or Ctrl-C.
set -euo pipefail

rounds=${1:-3}
secs=${SECS:-10}
conns=${CONNS:-16 64}
threads=${THREADS:-2}
for v in "$rounds" "$secs" $conns "$threads"; do
	if [[ ! $v =~ ^[1-9][0-9]*$ ]]; then
		echo "usage: [SECS=N] [CONNS=\"N …\"] [THREADS=N] bash bench/access.sh [ROUNDS]   (positive integers)" >&2
		exit 2
	fi
done
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PATH=$PATH:/usr/sbin:/usr/local/go/bin
for tool in go nginx wrk curl ss; do
	command -v $tool >/dev/null || { echo "bench/access.sh needs $tool (apt-get install -y nginx wrk curl iproute2)" >&2; exit 2; }
done

tmp=$(mktemp -d)
pids=() # of the servers started here, nginx's master included
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_addr NAME: the address a server wrote to $tmp/NAME.addr.
wait_addr() {
	for _ in $(seq 100); do
		[[ -s $tmp/$1.addr ]] && { cat "$tmp/$1.addr"; return 0; }
		sleep 0.1
	done
	echo "$1 did not start; see $tmp/$1.log" >&2
	cat "$tmp/$1.log" >&2 || true
	exit 1
}

# free_port: a TCP port nothing listens on, for nginx.
free_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 50); do
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return 0; }
	done
	echo "no free port found" >&2
	exit 1
}

echo "building bench/accessbench" >&2
go build -o "$tmp/accessbench" ./bench/accessbench

dirty=""
[[ -n $(git status --porcelain 2>/dev/null) ]] && dirty=" (working tree has changes)"
echo "# bench/access.sh — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "command:  bash bench/access.sh $*  (rounds=$rounds; wrk: SECS=$secs CONNS=$conns THREADS=$threads)"
echo "machine:  $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
echo "software: $(go version | cut -d' ' -f3), $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), devenv $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty"
echo "targets:  deadline precision p99 ≤ 100 ms; HTTP path: none set (the figures compare with nginx)"
echo "note:     everything runs on these $(nproc) CPUs at once: upstream, proxies, WireGuard devices and wrk"

"$tmp/accessbench" upstream -addr-file "$tmp/upstream.addr" 2>"$tmp/upstream.log" &
pids+=($!)
upstream=http://$(wait_addr upstream)

echo "deadline precision: $rounds rounds of 50 grants" >&2
"$tmp/accessbench" deadline -upstream "$upstream" -grants 50 -spread 2s -rounds "$rounds"

# --- HTTP path ---------------------------------------------------------------

"$tmp/accessbench" proxy -upstream "$upstream" -addr-file "$tmp/proxy.addr" 2>"$tmp/proxy.log" &
pids+=($!)
"$tmp/accessbench" tunnel -upstream "$upstream" -addr-file "$tmp/tunnel.addr" 2>"$tmp/tunnel.log" &
tunnel_pid=$!
pids+=($tunnel_pid)
nginx_port=$(free_port)
mkdir "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<EOF
# A plain reverse proxy: Debian's defaults, with keepalive to the upstream
# as an nginx in front of an HTTP service is usually set up.
worker_processes auto;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log $tmp/nginx/access.log;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	upstream bench { server ${upstream#http://}; keepalive 64; }
	server {
		listen 127.0.0.1:$nginx_port;
		location / {
			proxy_pass http://bench;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Authorization "Bearer bench-secret";
		}
	}
}
EOF
nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" -g 'daemon off;' 2>"$tmp/nginx/stderr.log" &
pids+=($!)

declare -A url
url[proxy]=http://$(wait_addr proxy)
url[tunnel]=http://$(wait_addr tunnel)
url[nginx]=http://127.0.0.1:$nginx_port
paths=(nginx proxy tunnel)
declare -A what=(
	[nginx]="nginx (plain reverse proxy)"
	[proxy]="proxy: proxy/httpproxy on net/http, no tunnel"
	[tunnel]="tunnel: client netstack -> gateway -> proxy"
)

# Each path answers the upstream's body before anything is timed.
for p in "${paths[@]}"; do
	body=""
	for _ in $(seq 50); do
		body=$(curl -sf "${url[$p]}/check" 2>/dev/null || true)
		[[ $body == "devenv bench upstream: ok" ]] && break
		sleep 0.1
	done
	if [[ $body != "devenv bench upstream: ok" ]]; then
		echo "$p (${url[$p]}) does not answer the upstream's body: '$body'" >&2
		cat "$tmp/nginx/stderr.log" "$tmp/nginx/error.log" "$tmp/$p.log" 2>/dev/null >&2 || true
		exit 1
	fi
done
refused=$(curl -s -o /dev/null -w '%{http_code}' -X POST "${url[tunnel]}/check")
[[ $refused == 403 ]] || { echo "the tunnel let a POST through ($refused)" >&2; exit 1; }

# conns_opened: the connections the upstream has accepted so far.
conns_opened() { curl -sf "$upstream/_conns"; }

# bench URL CONNS FILE: one wrk run; FILE gets
# "req/s p50_ms p99_ms errors upstream_connections_opened".
bench() {
	local before after
	before=$(conns_opened)
	wrk -t"$threads" -c"$2" -d"${secs}s" --latency "$1/" >"$3.raw" 2>&1 || { cat "$3.raw" >&2; exit 1; }
	after=$(conns_opened)
	awk -v opened=$((after - before)) '
		function ms(v) {
			if (v ~ /us$/) return v / 1000
			if (v ~ /ms$/) return v + 0
			if (v ~ /s$/) return v * 1000
			return v + 0
		}
		$1 == "50%" { p50 = ms($2) }
		$1 == "99%" { p99 = ms($2) }
		/^Requests\/sec:/ { rps = $2 }
		/Non-2xx or 3xx responses:/ { errs += $NF }
		/Socket errors:/ { for (i = 4; i <= NF; i += 2) errs += $i }
		END { printf "%.0f %.2f %.2f %d %d\n", rps, p50, p99, errs, opened }
	' "$3.raw" >"$3"
}

# median COLUMN PATH CONNS: the median over the rounds of a column
# (1 req/s, 2 p50, 3 p99, 5 upstream connections opened).
median() {
	for ((r = 1; r <= rounds; r++)); do awk -v c="$1" '{ print $c }' "$tmp/wrk-$2-$3-$r"; done | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "HTTP path: a 1 s warm-up each, then $rounds rounds of ${secs} s per path and connection count ($conns)" >&2
for p in "${paths[@]}"; do
	wrk -t"$threads" -c16 -d1s "${url[$p]}/" >/dev/null
done
for c in $conns; do
	for ((r = 1; r <= rounds; r++)); do
		for ((i = 0; i < ${#paths[@]}; i++)); do
			p=${paths[$(((r - 1 + i) % ${#paths[@]}))]}
			echo "  $c connections, round $r: $p" >&2
			bench "${url[$p]}" "$c" "$tmp/wrk-$p-$c-$r"
		done
	done
done

echo
echo "== HTTP path: GET / (26-byte body) through three reverse proxies of one upstream, all on 127.0.0.1 =="
echo "load:     wrk -t$threads -d${secs}s --latency, connections: $conns; $rounds rounds each, the order of the paths rotating"
echo "upstream: bench/accessbench upstream ($upstream); every path injects the same Authorization header"
echo "nginx:    worker_processes auto ($(nproc)), upstream keepalive 64, access_log on"
echo "proxy:    bench/accessbench proxy: the Proxy alone, ServeHTTP on a plain net/http server; no grant, no audit"
echo "tunnel:   bench/accessbench tunnel: wrk -> 127.0.0.1 -> wg.Forward -> client netstack -> WireGuard over"
echo "          loopback UDP -> gateway netstack -> grant check -> the Proxy (an audit record per request,"
echo "          spooled to disk) -> upstream; gateway and client device in one process"
echo "Go processes run with GOMAXPROCS $(nproc). Medians; ratios are to nginx at the same connection count."
echo "upstream conns: connections the upstream accepted during a run (a proxy that reuses them opens few)."
for c in $conns; do
	echo
	printf "%-5s %-44s %8s %10s %10s %7s %7s %9s\n" conns path req/s p50 p99 "req/s" "p99" "upstream"
	printf "%-5s %-44s %8s %10s %10s %7s %7s %9s\n" "" "" "" "" "" "ratio" "ratio" "conns"
	base_rps=$(median 1 nginx "$c")
	base_p99=$(median 3 nginx "$c")
	for p in "${paths[@]}"; do
		rps=$(median 1 "$p" "$c") p50=$(median 2 "$p" "$c") p99=$(median 3 "$p" "$c") opened=$(median 5 "$p" "$c")
		printf "%-5s %-44s %8.0f %7.2f ms %7.2f ms %7s %7s %9.0f\n" "$c" "${what[$p]}" "$rps" "$p50" "$p99" \
			"$(ratio "$rps" "$base_rps")" "$(ratio "$p99" "$base_p99")" "$opened"
	done
done
echo
echo "every run, in order (req/s / p50 ms / p99 ms / errors / upstream conns):"
for c in $conns; do
	for p in "${paths[@]}"; do
		printf "  %-5s %-7s" "$c" "$p"
		for ((r = 1; r <= rounds; r++)); do printf "  %s" "$(tr ' ' '/' <"$tmp/wrk-$p-$c-$r")"; done
		echo
	done
done
errors=$(for c in $conns; do for p in "${paths[@]}"; do for ((r = 1; r <= rounds; r++)); do
	cat "$tmp/wrk-$p-$c-$r"; done; done; done | awk '{ s += $4 } END { print s + 0 }')
echo "errors (non-2xx responses and socket errors, all runs): $errors (target 0)"
# The tunnel process says, as it stops, how many audit records its hub got.
kill "$tunnel_pid" && wait "$tunnel_pid" 2>/dev/null || true
echo "tunnel: $(grep -o 'the hub received [0-9]* audit records' "$tmp/tunnel.log" || echo 'no count of audit records')"
