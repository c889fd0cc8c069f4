#!/usr/bin/env bash
# bench/db.sh — devenv's read-only PostgreSQL and Redis proxies next to
# the usual proxies of the same protocol, in the same run.
#
#   bash bench/db.sh [ROUNDS]          (from the repo root, as root; ROUNDS defaults to 3)
#   SECS=20 REQUESTS=200000 bash bench/db.sh
#                                      (seconds per pgbench run, requests per redis-benchmark run)
#   PROFILE=DIR bash bench/db.sh 1     (CPU profiles of the devenv proxies: DIR/postgres.pprof, DIR/redis.pprof)
#   ONLY=postgres bash bench/db.sh     (the PostgreSQL half alone; needs only postgresql and pgbouncer)
#   ONLY=redis bash bench/db.sh        (the Redis half alone; needs only redis-server, redis-tools, nutcracker)
#
# 1. PostgreSQL: a temp cluster (pgbench -i -s 10) and a read-only role with
#    a SCRAM password that every path logs in as; `pgbench -S -c 8 -j 2 -T
#    SECS -n` against
#      direct     the server itself, over TCP
#      devenv     bench/dbproxy -protocol postgres: access/proxy/postgres
#                 on a plain TCP listener (no tunnel, no grant, audit dropped)
#      pgbouncer  Debian's pgbouncer in session mode, auth file
#    tps medians, ratios to direct (target ≥ 0.85) and to pgbouncer (≥ 1.0),
#    latency p50/p99 from pgbench's per-transaction logs (-S is one query per
#    transaction) and what each proxy adds to the p50.
# 2. Redis: redis-server with a password; `redis-benchmark -t get,mget -c 50
#    -n N -q` against direct, devenv (bench/dbproxy -protocol redis) and
#    twemproxy (Debian's nutcracker, redis_auth); req/s medians per test,
#    ratios to direct (target ≥ 0.8) and to twemproxy (≥ 1.0).
# Rounds alternate the order of the paths. Needs root (the PostgreSQL
# server runs as the postgres user through runuser), go with cgo, and
# apt-get install -y postgresql pgbouncer redis-server redis-tools nutcracker.
# Figures go to stdout, progress to stderr. It is not a test. Everything it
# starts and its temp dir are removed on exit, also after a failure or Ctrl-C.
set -euo pipefail

rounds=${1:-3}
secs=${SECS:-20}
requests=${REQUESTS:-200000}
profile=${PROFILE:-}
only=${ONLY:-}
[[ -z $only || $only == postgres || $only == redis ]] || { echo "ONLY=postgres, ONLY=redis or unset" >&2; exit 2; }
# pg_half, redis_half: whether this run measures PostgreSQL, Redis.
pg_half() { [[ $only != redis ]]; }
redis_half() { [[ $only != postgres ]]; }
for v in "$rounds" "$secs" "$requests"; do
	if [[ ! $v =~ ^[1-9][0-9]*$ ]]; then
		echo "usage: [SECS=N] [REQUESTS=N] bash bench/db.sh [ROUNDS]   (positive integers)" >&2
		exit 2
	fi
done
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
PATH=$PATH:/usr/sbin:/usr/local/go/bin
pgbin=/usr/lib/postgresql/15/bin
[[ -x $pgbin/initdb ]] || pgbin=$(pg_config --bindir 2>/dev/null || true)
[[ $(id -u) == 0 ]] || { echo "bench/db.sh runs as root (the PostgreSQL server runs as postgres via runuser)" >&2; exit 2; }
tools=(go ss)
pg_half && tools+=("$pgbin/initdb" "$pgbin/pg_ctl" "$pgbin/pgbench" "$pgbin/psql" pgbouncer runuser)
redis_half && tools+=(redis-server redis-cli redis-benchmark nutcracker)
for tool in "${tools[@]}"; do
	command -v "$tool" >/dev/null || {
		echo "bench/db.sh needs $tool (apt-get install -y postgresql pgbouncer redis-server redis-tools nutcracker iproute2)" >&2
		exit 2
	}
done

tmp=$(mktemp -d)
chmod 755 "$tmp" # the postgres user keeps its cluster, socket and pgbouncer in subdirectories
log=$tmp/commands.log
pids=()    # processes started here directly
pidfiles=() # of daemons started through runuser
cleanup() {
	set +e
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
	for f in "${pidfiles[@]}"; do [[ -s $f ]] && kill "$(cat "$f")" 2>/dev/null; done
	[[ -d $tmp/pg ]] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ports=() # handed out by next_port, so that two servers never get the same one
# next_port VAR: sets VAR to a TCP port nothing listens on.
next_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 50); do
		[[ " ${ports[*]} " == *" $p "* ]] && continue
		ss -Htan "sport = :$p" | grep -q . && continue # any socket: a client's port blocks a bind too
		ports+=("$p")
		printf -v "$1" %s "$p"
		return 0
	done
	echo "no free port found" >&2
	exit 1
}

# wait_port PORT NAME LOGFILE: until something listens on 127.0.0.1:PORT.
wait_port() {
	for _ in $(seq 100); do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	say "$2 did not start on port $1; its log:"
	cat "$3" >&2 || true
	exit 1
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# verdict VALUE TARGET: met when VALUE ≥ TARGET.
verdict() { awk -v a="$1" -v t="$2" 'BEGIN { print (a >= t ? "met" : "missed") }'; }

if [[ -n $profile ]]; then
	mkdir -p "$profile"
	profile=$(cd "$profile" && pwd)
fi
# profile_flag NAME: dbproxy's flag writing its CPU profile, with PROFILE set.
profile_flag() { [[ -z $profile ]] || echo "-cpuprofile=$profile/$1.pprof"; }

say "building bench/dbproxy (cgo: the postgres proxy's parser is pg_query)"
CGO_ENABLED=1 go build -o "$tmp/dbproxy" ./bench/dbproxy

dirty=""
[[ -n $(git status --porcelain 2>/dev/null) ]] && dirty=" (working tree has changes)"
pg_software=""
pg_half && pg_software="PostgreSQL $("$pgbin/postgres" --version | sed 's/^postgres (PostgreSQL) //'), $(pgbouncer --version | head -1),"
echo "# bench/db.sh — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "command:  bash bench/db.sh $*  (rounds=$rounds; SECS=$secs per pgbench run; REQUESTS=$requests per redis-benchmark test)"
echo "machine:  $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/^Mem:/ { print $2 " GB" }'), kernel $(uname -r)"
redis_software=""
redis_half && redis_software="Redis $(redis-server --version | grep -o 'v=[^ ]*' | cut -c3-), $(nutcracker --version 2>&1 | grep -o 'nutcracker-[^ ]*'),"
echo "software: $(go version | cut -d' ' -f3), $pg_software $redis_software devenv $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty"
echo "note:     servers, proxies and load generators all share these $(nproc) CPUs, on 127.0.0.1"
echo

# --- PostgreSQL --------------------------------------------------------------

if pg_half; then # not indented: the whole PostgreSQL half, up to the report

ro_user=bench_ro
ro_password=bench-ro-secret
next_port pg_port
next_port devenv_pg_port
next_port pgb_port
say "PostgreSQL: initdb, pgbench -i -s 10, a read-only role"
pg() { runuser -u postgres -- "$@"; }
mkdir "$tmp/pg" "$tmp/pgbouncer" "$tmp/pgsock"
chown postgres: "$tmp/pg" "$tmp/pgbouncer" "$tmp/pgsock"
run pg "$pgbin/initdb" -D "$tmp/pg" -U postgres --auth-local=trust --auth-host=scram-sha-256
cat >>"$tmp/pg/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$tmp/pgsock'
shared_buffers = 512MB
password_encryption = scram-sha-256
EOF
run pg "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg/server.log" -w start
psql_su() { pg "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$tmp/pgsock" -p "$pg_port" "$@"; }
run psql_su -d postgres -c "CREATE DATABASE bench"
run pg "$pgbin/pgbench" -h "$tmp/pgsock" -p "$pg_port" -i -s 10 -q bench
run psql_su -d bench <<EOF
CREATE ROLE $ro_user LOGIN PASSWORD '$ro_password';
ALTER ROLE $ro_user SET default_transaction_read_only = on;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO $ro_user;
EOF

# pgbouncer runs as postgres too (it refuses root).
cat >"$tmp/pgbouncer/pgbouncer.ini" <<EOF
[databases]
bench = host=127.0.0.1 port=$pg_port dbname=bench
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $pgb_port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $tmp/pgbouncer/userlist.txt
pool_mode = session
default_pool_size = 20
max_client_conn = 100
logfile = $tmp/pgbouncer/pgbouncer.log
pidfile = $tmp/pgbouncer/pgbouncer.pid
EOF
echo "\"$ro_user\" \"$ro_password\"" >"$tmp/pgbouncer/userlist.txt"
chown postgres "$tmp/pgbouncer"/*
pidfiles+=("$tmp/pgbouncer/pgbouncer.pid")
run pg pgbouncer -d "$tmp/pgbouncer/pgbouncer.ini"

"$tmp/dbproxy" -protocol postgres -upstream "127.0.0.1:$pg_port" -listen "127.0.0.1:$devenv_pg_port" \
	-user "$ro_user" -password "$ro_password" -database bench $(profile_flag postgres) 2>"$tmp/dbproxy-postgres.log" &
pids+=($!)
devenv_pg_pid=$!
wait_port "$pgb_port" pgbouncer "$tmp/pgbouncer/pgbouncer.log"
wait_port "$devenv_pg_port" "devenv postgres proxy" "$tmp/dbproxy-postgres.log"

pg_paths=(direct devenv pgbouncer)
declare -A pg_port_of=([direct]=$pg_port [devenv]=$devenv_pg_port [pgbouncer]=$pgb_port)
declare -A pg_what=(
	[direct]="direct (PostgreSQL over TCP)"
	[devenv]="devenv proxy/postgres"
	[pgbouncer]="pgbouncer, session mode"
)
# The devenv proxy logs in upstream with its own credentials; its clients
# send none. The others get the role's password.
pg_client() {
	local path=$1
	shift
	if [[ $path == devenv ]]; then
		PGPASSWORD= "$@" -h 127.0.0.1 -p "${pg_port_of[$path]}" -U someone bench
	else
		PGPASSWORD=$ro_password "$@" -h 127.0.0.1 -p "${pg_port_of[$path]}" -U "$ro_user" bench
	fi
}

# Every path answers a read the same, and the devenv proxy refuses a write.
sum_sql="SELECT sum(abalance::bigint + aid) FROM pgbench_accounts WHERE aid <= 1000"
for p in "${pg_paths[@]}"; do
	got=$(pg_client "$p" "$pgbin/psql" -X -A -t -c "$sum_sql" 2>&1) || { say "$p: $got"; exit 1; }
	[[ $got == 500500 ]] || { say "$p answered '$got' to a read (want 500500)"; exit 1; }
done
refusal=$(pg_client devenv "$pgbin/psql" -X -A -t -c "UPDATE pgbench_accounts SET abalance = 1 WHERE aid = 1" 2>&1 || true)
[[ $refusal == *"refused by the read-only proxy"* ]] || { say "the devenv proxy did not refuse an UPDATE: '$refusal'"; exit 1; }

# pg_proxy_pid PATH: the proxy process of a path; nothing for direct.
pg_proxy_pid() {
	case $1 in
	devenv) echo "$devenv_pg_pid" ;;
	pgbouncer) cat "$tmp/pgbouncer/pgbouncer.pid" ;;
	esac
}
# cpu_ticks PID: the user and system CPU time PID has used, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# pgbench_run PATH FILE: one pgbench -S run; FILE gets
# "tps latency_avg_ms p50_ms p99_ms failed_transactions proxy_cpu_ms_per_1000"
# (the proxy's CPU time per 1000 transactions; - for direct).
pgbench_run() {
	local out=$2.out prefix=$2.log pid ticks=-
	pid=$(pg_proxy_pid "$1")
	[[ -z $pid ]] || ticks=$(cpu_ticks "$pid")
	pg_client "$1" "$pgbin/pgbench" -S -c 8 -j 2 -T "$secs" -n -l --log-prefix="$prefix" >"$out" 2>&1 ||
		{ say "pgbench against $1 failed"; cat "$out" >&2; exit 1; }
	[[ -z $pid ]] || ticks=$(($(cpu_ticks "$pid") - ticks))
	local p50 p99
	read -r p50 p99 < <(cat "$prefix".* | awk '{ print $3 / 1000 }' | sort -g |
		awk '{ v[NR] = $1 } END { printf "%.3f %.3f\n", v[int((NR + 1) / 2)], v[int(NR * 0.99 + 0.999)] }')
	rm -f "$prefix".*
	awk -v p50="$p50" -v p99="$p99" -v ticks="$ticks" -v hz="$(getconf CLK_TCK)" '
		/^tps = / { tps = $3 }
		/^latency average = / { avg = $4 }
		/^number of failed transactions:/ { failed = $5 }
		/^number of transactions actually processed:/ { n = $6 }
		END {
			cpu = ticks == "-" || n == 0 ? "-" : sprintf("%.1f", ticks * 1000 / hz / n * 1000)
			printf "%.0f %.3f %s %s %d %s\n", tps, avg, p50, p99, failed, cpu
		}
	' "$out" >"$2"
}
pg_median() { # COLUMN PATH: median over the rounds
	for ((r = 1; r <= rounds; r++)); do awk -v c="$1" '{ print $c }' "$tmp/pg-$2-$r"; done | median
}

say "PostgreSQL: a 3 s warm-up per path, then $rounds rounds of pgbench -S -c 8 -j 2 -T $secs per path"
for p in "${pg_paths[@]}"; do
	pg_client "$p" "$pgbin/pgbench" -S -c 8 -j 2 -T 3 -n >/dev/null 2>&1 || { say "warm-up against $p failed"; exit 1; }
done
for ((r = 1; r <= rounds; r++)); do
	for ((i = 0; i < ${#pg_paths[@]}; i++)); do
		p=${pg_paths[$(((r - 1 + i) % ${#pg_paths[@]}))]}
		say "  round $r: $p"
		pgbench_run "$p" "$tmp/pg-$p-$r"
	done
done

fi # pg_half

# --- Redis -------------------------------------------------------------------

if redis_half; then # not indented: the whole Redis half, up to the report

redis_password=bench-redis-secret
next_port redis_port
next_port devenv_redis_port
next_port twem_port
next_port twem_stats_port
say "Redis: redis-server, nutcracker, the devenv proxy"
redis-server --bind 127.0.0.1 --port "$redis_port" --requirepass "$redis_password" --save "" --appendonly no \
	--dir "$tmp" --logfile "$tmp/redis.log" &
pids+=($!)
redis_pid=$!
cat >"$tmp/nutcracker.yml" <<EOF
bench:
  listen: 127.0.0.1:$twem_port
  redis: true
  redis_auth: $redis_password
  hash: fnv1a_64
  distribution: ketama
  servers:
    - 127.0.0.1:$redis_port:1
EOF
wait_port "$redis_port" redis-server "$tmp/redis.log"
nutcracker -c "$tmp/nutcracker.yml" -s "$twem_stats_port" -o "$tmp/nutcracker.log" &
pids+=($!)
twem_pid=$!
"$tmp/dbproxy" -protocol redis -upstream "127.0.0.1:$redis_port" -listen "127.0.0.1:$devenv_redis_port" \
	-password "$redis_password" $(profile_flag redis) 2>"$tmp/dbproxy-redis.log" &
pids+=($!)
devenv_pid=$!
wait_port "$twem_port" nutcracker "$tmp/nutcracker.log"
wait_port "$devenv_redis_port" "devenv redis proxy" "$tmp/dbproxy-redis.log"

redis_paths=(direct devenv twemproxy)
declare -A redis_port_of=([direct]=$redis_port [devenv]=$devenv_redis_port [twemproxy]=$twem_port)
declare -A redis_proxy_pid=([direct]="" [devenv]=$devenv_pid [twemproxy]=$twem_pid)
declare -A redis_what=(
	[direct]="direct (redis-server)"
	[devenv]="devenv proxy/redis"
	[twemproxy]="twemproxy (nutcracker)"
)
# Clients of the devenv proxy send no password: it logs in upstream itself
# (and would answer a client's AUTH locally).
redis_client() {
	local path=$1 tool=$2
	shift 2
	if [[ $path == devenv ]]; then
		"$tool" -h 127.0.0.1 -p "${redis_port_of[$path]}" "$@"
	else
		"$tool" -h 127.0.0.1 -p "${redis_port_of[$path]}" -a "$redis_password" "$@"
	fi
}

# The keys redis-benchmark's GET and MGET read (key:__rand_int__, 3 bytes)
# exist, every path answers them, and the devenv proxy refuses a write.
run redis_client direct redis-benchmark -t set -n 1000 -q
want=$(redis_client direct redis-cli --no-auth-warning GET key:__rand_int__ 2>&1)
[[ ${#want} == 3 ]] || { say "direct answered '$want' to GET (want 3 bytes)"; exit 1; }
for p in "${redis_paths[@]}"; do
	got=$(redis_client "$p" redis-cli --no-auth-warning GET key:__rand_int__ 2>&1)
	[[ $got == "$want" ]] || { say "$p answered '$got' to GET (want '$want')"; exit 1; }
done
refusal=$(redis_client devenv redis-cli SET key:__rand_int__ yyy 2>&1)
[[ $refusal == NOPERM* ]] || { say "the devenv proxy did not refuse SET: '$refusal'"; exit 1; }

# redis-benchmark has no MGET test (-t get,mget runs GET only), so MGET is
# given as a command of its own: the key GET reads, 10 times, as its MSET
# test writes 10 keys.
mget=(MGET)
for _ in $(seq 10); do mget+=(key:__rand_int__); done

# cpu_ticks PID: user and system CPU time the process has used, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
clk_tck=$(getconf CLK_TCK)

# redis_test PATH OUT ARGS...: one redis-benchmark run with ARGS, its output
# appended to OUT; prints the CPU seconds per 100k requests the path's proxy
# (0 for direct) and redis-server used meanwhile.
redis_test() {
	local path=$1 out=$2 proxy=${redis_proxy_pid[$1]} p0=0 p1=0 s0 s1
	shift 2
	s0=$(cpu_ticks "$redis_pid")
	[[ -z $proxy ]] || p0=$(cpu_ticks "$proxy")
	redis_client "$path" redis-benchmark -c 50 -n "$requests" -q "$@" >>"$out" 2>&1 || return 1
	s1=$(cpu_ticks "$redis_pid")
	[[ -z $proxy ]] || p1=$(cpu_ticks "$proxy")
	awk -v p=$((p1 - p0)) -v s=$((s1 - s0)) -v hz="$clk_tck" -v n="$requests" \
		'BEGIN { printf "%.2f %.2f\n", p / hz * 100000 / n, s / hz * 100000 / n }'
}

# redis_run PATH FILE: one redis-benchmark run of GET and one of MGET; FILE
# gets "GET_rps MGET_rps" and then, per 100k requests, the CPU seconds of
# the proxy and of redis-server: "GET_proxy GET_server MGET_proxy MGET_server".
redis_run() {
	local get_cpu mget_cpu
	: >"$2.out"
	{ get_cpu=$(redis_test "$1" "$2.out" -t get) && mget_cpu=$(redis_test "$1" "$2.out" "${mget[@]}"); } ||
		{ say "redis-benchmark against $1 failed"; cat "$2.out" >&2; exit 1; }
	tr '\r' '\n' <"$2.out" | awk -v cpu="$get_cpu $mget_cpu" '
		/^GET: .* requests per second/ { get = $2 }
		/^MGET .*: .* requests per second/ { sub(/.*: /, ""); mget = $1 }
		END { if (get == "" || mget == "") exit 1; printf "%s %s %s\n", get, mget, cpu }
	' >"$2" || { say "no figures from redis-benchmark against $1:"; cat "$2.out" >&2; exit 1; }
}
redis_median() { # COLUMN PATH
	for ((r = 1; r <= rounds; r++)); do awk -v c="$1" '{ print $c }' "$tmp/redis-$2-$r"; done | median
}

say "Redis: $rounds rounds of redis-benchmark -c 50 -n $requests, GET and MGET, per path"
for ((r = 1; r <= rounds; r++)); do
	for ((i = 0; i < ${#redis_paths[@]}; i++)); do
		p=${redis_paths[$(((r - 1 + i) % ${#redis_paths[@]}))]}
		say "  round $r: $p"
		redis_run "$p" "$tmp/redis-$p-$r"
	done
done

fi # redis_half

# --- Report ------------------------------------------------------------------

if pg_half; then
echo
echo "== PostgreSQL: pgbench -S -c 8 -j 2 -T $secs -n (simple protocol; one SELECT by primary key per transaction) =="
echo "data:      pgbench -i -s 10 (1,000,000 accounts), shared_buffers 512MB; every path logs in upstream as $ro_user"
echo "           (SCRAM password, default_transaction_read_only on, SELECT only)"
echo "devenv:    bench/dbproxy: proxy/postgres on 127.0.0.1, no tunnel, no grant, audit records dropped; clients send no password"
echo "pgbouncer: session mode, auth_type scram-sha-256 with an auth file, default_pool_size 20"
echo "$rounds rounds, the order of the paths rotating; medians. latency from pgbench -l (every transaction)."
echo
printf "%-30s %9s %7s %8s %9s %9s %9s %9s %10s\n" path tps "÷direct" "÷pgbnc" "lat avg" p50 p99 "+p50" "proxy CPU"
base_tps=$(pg_median 1 direct)
pgb_tps=$(pg_median 1 pgbouncer)
base_p50=$(pg_median 3 direct)
for p in "${pg_paths[@]}"; do
	tps=$(pg_median 1 "$p") avg=$(pg_median 2 "$p") p50=$(pg_median 3 "$p") p99=$(pg_median 4 "$p")
	added=$(awk -v a="$p50" -v b="$base_p50" 'BEGIN { printf "%+.3f", a - b }')
	cpu=-
	[[ $p == direct ]] || cpu="$(pg_median 6 "$p") ms"
	printf "%-30s %9.0f %7s %8s %6.3f ms %6.3f ms %6.3f ms %6s ms %10s\n" "${pg_what[$p]}" "$tps" \
		"$(ratio "$tps" "$base_tps")" "$(ratio "$tps" "$pgb_tps")" "$avg" "$p50" "$p99" "$added" "$cpu"
done
echo
echo "proxy CPU: the proxy process's user+system CPU time per 1000 transactions (/proc/PID/stat)"
echo "every run, in order (tps / latency avg ms / p50 ms / p99 ms / failed transactions / proxy CPU ms per 1000):"
for p in "${pg_paths[@]}"; do
	printf "  %-10s" "$p"
	for ((r = 1; r <= rounds; r++)); do printf "  %s" "$(tr ' ' '/' <"$tmp/pg-$p-$r")"; done
	echo
done
fi # pg_half

if redis_half; then
echo
echo "== Redis: redis-benchmark -c 50 -n $requests -q, -t get and MGET of 10 keys (3-byte values) =="
echo "MGET:      redis-benchmark ${mget[*]:0:2} … (10 keys): redis-benchmark $(redis-benchmark --version 2>/dev/null | awk '{ print $2 }') has no mget test"
echo "direct and twemproxy clients AUTH with the password (twemproxy: redis_auth, one server connection);"
echo "devenv: bench/dbproxy: proxy/redis on 127.0.0.1, logs in upstream itself; clients send no password."
echo "$rounds rounds, the order of the paths rotating; medians of req/s."
echo
printf "%-26s %10s %7s %7s %10s %7s %7s\n" path "GET/s" "÷direct" "÷twem" "MGET/s" "÷direct" "÷twem"
for p in "${redis_paths[@]}"; do
	line=$(printf "%-26s" "${redis_what[$p]}")
	for c in 1 2; do
		v=$(redis_median "$c" "$p")
		line+=$(printf " %10.0f %7s %7s" "$v" "$(ratio "$v" "$(redis_median "$c" direct)")" \
			"$(ratio "$v" "$(redis_median "$c" twemproxy)")")
	done
	echo "$line"
done
echo
echo "CPU seconds per 100k requests (medians; /proc/PID/stat utime+stime during each run):"
printf "%-26s %10s %10s %10s %10s\n" path "GET proxy" "GET redis" "MGET proxy" "MGET redis"
for p in "${redis_paths[@]}"; do
	printf "%-26s %10s %10s %10s %10s\n" "${redis_what[$p]}" "$(redis_median 3 "$p")" "$(redis_median 4 "$p")" \
		"$(redis_median 5 "$p")" "$(redis_median 6 "$p")"
done
echo
echo "every run, in order (GET req/s / MGET req/s / CPU s per 100k: GET proxy / GET redis / MGET proxy / MGET redis):"
for p in "${redis_paths[@]}"; do
	printf "  %-10s" "$p"
	for ((r = 1; r <= rounds; r++)); do printf "  %s" "$(tr ' ' '/' <"$tmp/redis-$p-$r")"; done
	echo
done
fi # redis_half

echo
echo "== Targets =="
if pg_half; then
pg_dev=$(pg_median 1 devenv)
printf "PostgreSQL devenv ≥ 0.85× direct:    %s (%s)\n" "$(ratio "$pg_dev" "$base_tps")" "$(verdict "$(ratio "$pg_dev" "$base_tps")" 0.85)"
printf "PostgreSQL devenv ≥ 1.0× pgbouncer:  %s (%s)\n" "$(ratio "$pg_dev" "$pgb_tps")" "$(verdict "$(ratio "$pg_dev" "$pgb_tps")" 1.0)"
fi
redis_half || exit 0
for c in 1 2; do
	name=$([[ $c == 1 ]] && echo GET || echo MGET)
	v=$(redis_median "$c" devenv) d=$(redis_median "$c" direct) t=$(redis_median "$c" twemproxy)
	printf "Redis %-4s devenv ≥ 0.8× direct:      %s (%s)\n" "$name" "$(ratio "$v" "$d")" "$(verdict "$(ratio "$v" "$d")" 0.8)"
	printf "Redis %-4s devenv ≥ 1.0× twemproxy:   %s (%s)\n" "$name" "$(ratio "$v" "$t")" "$(verdict "$(ratio "$v" "$t")" 1.0)"
done
