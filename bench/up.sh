#!/usr/bin/env bash
# bench/up.sh — how fast devenv brings up, re-checks, lists and removes a local
# environment, next to docker compose on the same machine in the same run.
#
#   bash bench/up.sh [ROUNDS]          (from the repo root; ROUNDS defaults to 5)
#   COMPOSE_BIN="docker compose" bash bench/up.sh
#
# The stack is bench/stack10 (10 services, 4 dependency levels). Each round runs
# every operation once per tool, the tools alternating which goes first; the
# table shows medians over the rounds. Figures go to stdout, progress to stderr.
# It is not a test: it exits non-zero only when an operation itself fails.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

rounds=${1:-5}
if [[ ! $rounds =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: bash bench/up.sh [ROUNDS]   (ROUNDS: a positive integer, default 5; got \"$rounds\")" >&2
	exit 2
fi
cmdline="${COMPOSE_BIN:+COMPOSE_BIN=\"$COMPOSE_BIN\" }bash bench/up.sh $*"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

image=devenv-example/testsvc:dev
stack=$root/bench/stack10
devenv_project=bench10-devenv # the name: key of $stack/envs.yaml
compose_project=bench10-compose
services=10
help_runs=20

work=$(mktemp -d "${TMPDIR:-/tmp}/devenv-bench.XXXXXX")
log=$work/log # output of every benchmarked command, shown when one fails
devenv=()
compose=()

# The script's own stdout and stderr, for cleanup: a trap can run while a
# shell function's output is redirected to $log.
exec 3>&1 4>&2

cleanup() {
	local status=$?
	exec 1>&3 2>&4
	if ((status != 0 && status != 130)) && [[ -s $log ]]; then
		echo "bench: last lines of the log:" >&2
		tail -n 25 "$log" >&2
	fi
	((${#devenv[@]} == 0)) || "${devenv[@]}" down -v >>"$log" 2>&1 || true
	((${#compose[@]} == 0)) || "${compose[@]}" down -v >>"$log" 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "bench: interrupted; removing both projects" >&4; exit 130' INT TERM

# timed KEY CMD... runs CMD and appends its wall time in ms to results/KEY;
# timed_t0 is the moment (ms) CMD was started.
timed() {
	local key=$1 t1
	shift
	timed_t0=$(now_ms)
	run "$@"
	t1=$(now_ms)
	echo $((t1 - timed_t0)) >>"$work/results/$key"
}

# median KEY prints the median of results/KEY, or "-" when there is none.
median() {
	[[ -s $work/results/$1 ]] || { echo -; return; }
	sort -n "$work/results/$1" | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 + 0.5 }'
}

build_devenv() {
	say "building devenv"
	go build -o "$work/devenv" ./cmd/devenv
	devenv=("$work/devenv" -f "$stack/envs.yaml")
}

# find_compose sets compose (the command, with -f and -p) and the peer's
# version facts (lib.sh), or leaves compose empty when no compose is installed.
find_compose() {
	compose=()
	find_compose_bin
	((${#compose_cmd[@]} > 0)) || return 0
	compose=("${compose_cmd[@]}" -f "$stack/compose.yaml" -p "$compose_project")
	if ((compose_v1)); then up_args="up -d"; else up_args="up -d --wait"; fi
}

# compose_up brings the compose stack up and returns once all is healthy:
# --wait on v2; on v1, which has no --wait, `up -d` and then polling.
compose_up() {
	if ((compose_v1)); then
		"${compose[@]}" up -d && wait_healthy "$compose_project" com.docker.compose.project
	else
		"${compose[@]}" up -d --wait
	fi
}

# healthy_count PROJECT LABEL prints how many of the project's running
# containers Docker reports healthy, and how many run.
healthy_count() {
	local ids
	ids=$(docker ps -q --filter "label=$2=$1")
	if [[ -z $ids ]]; then echo "0 0"; return; fi
	# shellcheck disable=SC2086 # one argument per container ID
	docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' $ids |
		awk '$1 == "healthy" { h++ } END { print h + 0, NR }'
}

# wait_healthy PROJECT LABEL polls (every 50 ms plus the time docker ps and
# docker inspect take) until all $services containers run and are healthy.
wait_healthy() {
	local deadline=$(($(now_ms) + 120000)) healthy running
	while :; do
		read -r healthy running < <(healthy_count "$1" "$2")
		((healthy == services && running == services)) && return 0
		if (($(now_ms) > deadline)); then
			echo "wait_healthy: $1: $healthy of $running running containers healthy after 120 s" >&2
			return 1
		fi
		sleep 0.05
	done
}

# check_up PORT... fails unless every published top-level port answers
# /healthz with 200: the stack is really up, not merely reported so.
check_up() {
	local port
	for port; do
		curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz" || {
			say "127.0.0.1:$port/healthz did not answer 200 after up"
			return 1
		}
	done
}

# cycle TOOL runs one round of TOOL: cold up, no-op up(s), ps, down -v.
cycle() {
	case $1 in
	devenv)
		timed devenv.cold "${devenv[@]}" --progress plain up
		local t0=$timed_t0 healthy running
		# From the moment up returns, poll Docker's health status (as
		# wait_healthy does) until it says all are healthy: the event
		# compose's --wait ends on, timed from the start of the cold up.
		read -r healthy running < <(healthy_count "$devenv_project" dev.devenv.project)
		echo "$healthy" >>"$work/results/devenv.docker_healthy"
		((healthy == services && running == services)) || wait_healthy "$devenv_project" dev.devenv.project
		echo $(($(now_ms) - t0)) >>"$work/results/devenv.cold_docker"
		check_up 18471 18472 18473
		# The targeted no-op starts, like compose's, from a stack that
		# Docker reports healthy.
		timed devenv.noop "${devenv[@]}" --progress plain up
		timed devenv.ps "${devenv[@]}" ps
		timed devenv.down "${devenv[@]}" down -v
		# 'no-op, at once' needs a stack that Docker may still call
		# "starting" (up then runs those health checks again), so it gets
		# a cold up of its own, not timed, and no poll in between.
		run "${devenv[@]}" --progress plain up
		timed devenv.noop_at_once "${devenv[@]}" --progress plain up
		run "${devenv[@]}" down -v
		;;
	compose)
		timed compose.cold compose_up
		check_up 18481 18482 18483
		if ((compose_v1)); then
			timed compose.noop "${compose[@]}" up -d
		else
			timed compose.noop "${compose[@]}" up -d --wait
		fi
		timed compose.ps "${compose[@]}" ps
		timed compose.down "${compose[@]}" down -v
		;;
	esac
}

help_times() {
	local i
	for ((i = 0; i < help_runs; i++)); do
		timed devenv.help "${devenv[@]}" --help
		if ((${#compose[@]})); then timed compose.help "${compose[@]}" --help; fi
	done
}

# row LABEL KEY TARGET [COMPOSE_KEY] prints one line of the table: devenv's
# KEY beside compose's COMPOSE_KEY (default KEY); TARGET is judged by judge
# KEY DEVENV_MS COMPOSE_MS.
row() {
	local d c ratio=- met=-
	d=$(median "devenv.$2")
	c=$(median "compose.${4:-$2}")
	if [[ $d != - && $c != - && $c -gt 0 ]]; then
		ratio=$(awk -v d="$d" -v c="$c" 'BEGIN { printf "%.3f", d / c }')
	fi
	[[ -z $3 ]] || met=$(judge "$2" "$d" "$c" "$ratio")
	printf '%-26s %12s %13s %15s   %-28s %s\n' "$1" "$d" "$c" "$ratio" "${3:--}" "$met"
}

# judge KEY DEVENV_MS COMPOSE_MS RATIO says whether the target for KEY is met.
judge() {
	local d=$2 ratio=$4 misses=()
	case $1 in
	cold)
		[[ $ratio != - ]] || { echo "n/a (no peer)"; return; }
		le "$ratio" 0.35 || misses+=("ratio > 0.35")
		;;
	noop)
		((d <= 100)) || misses+=("> 100 ms")
		[[ $ratio == - ]] || le "$ratio" 0.05 || misses+=("ratio > 0.05")
		;;
	esac
	local note=
	[[ $ratio != - ]] || note=" (ms only: no peer)"
	if ((${#misses[@]} == 0)); then echo "met$note"; else printf 'MISSED (%s)%s\n' "$(printf '%s; ' "${misses[@]}" | sed 's/; $//')" "$note"; fi
}

# le A B succeeds when the decimal A <= B.
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

machine() {
	local engine api
	engine=$(docker version -f '{{.Server.Version}}' 2>/dev/null || echo unknown)
	api=$(docker version -f '{{.Server.APIVersion}}' 2>/dev/null || echo unknown)
	echo "machine:  nproc=$(nproc), $(uname -sr), $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo || true)"
	echo "          docker engine $engine (API $api), client $(docker version -f '{{.Client.Version}}' 2>/dev/null), $(go version | awk '{ print $3 }')"
}

report() {
	local rev
	rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	[[ -z $(git status --porcelain -- . 2>/dev/null) ]] || rev="$rev + uncommitted changes in the working tree"
	echo "devenv benchmark: local environments (bench/up.sh)"
	echo "command:  $cmdline"
	echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	machine
	echo "devenv:   $rev, built with go build -o"
	if ((${#compose[@]})); then
		if ((compose_v1)); then
			echo "peer:     $compose_name (compose v1; docker compose v2 is the named peer; set COMPOSE_BIN to use it)"
			echo "          v1 has no --wait: its cold up is 'up -d' then polling 'docker inspect' of all $services"
			echo "          containers every 50 ms until Docker reports all healthy; its no-op up is 'up -d'"
		else
			echo "peer:     $compose_name; cold and no-op up are 'up -d --wait'"
		fi
	else
		echo "peer:     none found (COMPOSE_BIN unset, no 'docker compose', no docker-compose): devenv figures only"
	fi
	echo "stack:    bench/stack10: $services services of $image in 4 levels (1 -> 3 -> 3 -> 3),"
	echo "          depends_on service_healthy, healthcheck /app health every 1s; image present, not pulled"
	echo "load:     1-minute load average $load_start at the start, $(loadavg) at the end (other work on the machine adds noise)"
	echo "rounds:   $rounds, tools alternating which goes first; figures are medians in ms"
	echo "ran:      devenv -f bench/stack10/envs.yaml up|(poll)|up|ps|down -v, then up|up|down -v   (cold, to Docker-healthy,"
	echo "          no-op; then a cold up for 'no-op, at once'; up with --progress plain)"
	if ((${#compose[@]})); then
		echo "          $compose_bin -f bench/stack10/compose.yaml -p $compose_project $up_args|$up_args|ps|down -v"
	fi
	echo
	printf '%-26s %12s %13s %15s   %-28s %s\n' operation devenv compose devenv/compose target result
	row "cold up" cold "ratio <= 0.35"
	row "cold up to Docker-healthy" cold_docker "" cold
	row "no-op up" noop "<= 100 ms and ratio <= 0.05"
	row "no-op, at once" noop_at_once ""
	row "ps" ps ""
	row "down -v" down ""
	row "--help (n=$help_runs)" help ""
	echo
	echo "per round (ms), devenv:  cold $(paste -sd ' ' "$work/results/devenv.cold")" \
		" to Docker-healthy $(paste -sd ' ' "$work/results/devenv.cold_docker")" \
		" no-op $(paste -sd ' ' "$work/results/devenv.noop")  no-op at once $(paste -sd ' ' "$work/results/devenv.noop_at_once")" \
		" down $(paste -sd ' ' "$work/results/devenv.down")"
	if ((${#compose[@]})); then
		echo "per round (ms), compose: cold $(paste -sd ' ' "$work/results/compose.cold")" \
			" no-op $(paste -sd ' ' "$work/results/compose.noop")  down $(paste -sd ' ' "$work/results/compose.down")"
	fi
	echo "devenv up returns once its own exec of each health check passes; at that moment Docker's"
	echo "health status said healthy for $(paste -sd ' ' "$work/results/devenv.docker_healthy") (per round) of $services containers. 'cold up to"
	echo "Docker-healthy' goes on from there, polling docker ps and docker inspect every 50 ms (plus their own"
	echo "time) until Docker says all $services are healthy, and runs from the start of devenv's cold up to that"
	echo "poll: the event compose's cold up ends on, so that row compares both on the same event (compose's"
	echo "--wait polls every 500 ms; v1's cold up is the same 50 ms poll). 'no-op up' starts once Docker"
	echo "reports all $services healthy (as compose's does); 'no-op, at once' runs right after a cold up of its own"
	echo "(not timed, no poll before it), while Docker may still say \"starting\" and devenv therefore runs"
	echo "those health checks again."
}

loadavg() { cut -d ' ' -f 1 /proc/loadavg; }

main() {
	mkdir -p "$work/results"
	load_start=$(loadavg)
	compose_v1=0
	find_compose
	build_devenv
	ensure_image
	say "removing leftovers of earlier runs"
	"${devenv[@]}" down -v >>"$log" 2>&1 || true
	if ((${#compose[@]})); then "${compose[@]}" down -v >>"$log" 2>&1 || true; fi

	local r order
	for ((r = 1; r <= rounds; r++)); do
		order=(devenv compose)
		((r % 2)) || order=(compose devenv)
		((${#compose[@]})) || order=(devenv)
		say "round $r/$rounds: ${order[*]}"
		cycle "${order[0]}"
		((${#order[@]} < 2)) || cycle "${order[1]}"
	done
	say "start-up: --help x $help_runs"
	help_times
	report
}

main
