#!/usr/bin/env bash
# bench/compose.sh — devenv on compose files, next to docker compose on the
# same machine in the same run:
#   - cold up of three services that need a build (build: contexts FROM
#     scratch with a static binary; the built images removed before each round)
#   - no-op up of a 20-service project merged from two files
#     (compose.yaml + compose.override.yaml)
#
#   bash bench/compose.sh [ROUNDS]        (from the repo root; ROUNDS defaults to 5)
#   COMPOSE_BIN=/path/to/docker-compose bash bench/compose.sh
#
# Both tools read the same generated files. Compose builds with the classic
# builder (DOCKER_BUILDKIT=0), as devenv does on an engine without BuildKit.
# Figures (medians in ms) go to stdout, progress to stderr. It is not a test:
# it exits non-zero only when an operation itself fails.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

rounds=${1:-5}
if [[ ! $rounds =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: bash bench/compose.sh [ROUNDS]   (ROUNDS: a positive integer, default 5; got \"$rounds\")" >&2
	exit 2
fi
cmdline="${COMPOSE_BIN:+COMPOSE_BIN=\"$COMPOSE_BIN\" }bash bench/compose.sh $*"
cd "$(dirname "${BASH_SOURCE[0]}")/.."

image=devenv-example/testsvc:dev # the merged project's image
built=(alpha beta gamma)         # the services with build:
merged_services=20
work=$(mktemp -d "${TMPDIR:-/tmp}/devenv-bench-compose.XXXXXX")
log=$work/log
mkdir -p "$work/results"
dproj=benchcompose-devenv
cproj=benchcompose-compose
devenv=()
compose=()
exec 3>&1 4>&2

remove_built() {
	local p s
	for p in "$dproj" "$cproj"; do
		for s in "${built[@]}"; do
			# <project>-<service>; compose v1 wrote <project>_<service>
			docker image rm -f "$p-$s" "${p}_$s" >/dev/null 2>&1 || true
		done
	done
}

cleanup() {
	local status=$?
	exec 1>&3 2>&4
	if ((status != 0 && status != 130)) && [[ -s $log ]]; then
		echo "bench: last lines of the log:" >&2
		tail -n 25 "$log" >&2
	fi
	if ((${#devenv[@]})); then
		"${devenv[@]}" -f "$work/build/compose.yaml" -p "$dproj" down -v >>"$log" 2>&1 || true
		"${devenv[@]}" -f "$work/merged/compose.yaml" -f "$work/merged/compose.override.yaml" -p "$dproj" down -v >>"$log" 2>&1 || true
	fi
	if ((${#compose[@]})); then
		"${compose[@]}" -f "$work/build/compose.yaml" -p "$cproj" down -v >>"$log" 2>&1 || true
		"${compose[@]}" -f "$work/merged/compose.yaml" -f "$work/merged/compose.override.yaml" -p "$cproj" down -v >>"$log" 2>&1 || true
	fi
	remove_built
	rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "bench: interrupted; removing both projects" >&4; exit 130' INT TERM

timed() {
	local key=$1 t0 t1
	shift
	t0=$(now_ms)
	run "$@"
	t1=$(now_ms)
	echo $((t1 - t0)) >>"$work/results/$key"
}

median() {
	[[ -s $work/results/$1 ]] || { echo -; return; }
	sort -n "$work/results/$1" | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 + 0.5 }'
}

# make_build_project writes three build contexts (one Dockerfile each, FROM
# scratch, with the test service's static binary) and their compose.yaml.
make_build_project() {
	local dir=$work/build s
	mkdir -p "$dir"
	say "building the test service's static binary"
	CGO_ENABLED=0 go build -o "$dir/app" ./examples/testsvc
	{
		echo "services:"
		for s in "${built[@]}"; do
			mkdir -p "$dir/$s"
			cp "$dir/app" "$dir/$s/app"
			printf 'FROM scratch\nARG NAME\nLABEL bench.service=$NAME\nCOPY app /app\nENTRYPOINT ["/app"]\n' >"$dir/$s/Dockerfile"
			printf 'Dockerfile\n' >"$dir/$s/.dockerignore"
			printf '  %s:\n    build:\n      context: ./%s\n      args: {NAME: %s}\n    command: ["-listen", ":8080"]\n' "$s" "$s" "$s"
		done
	} >"$dir/compose.yaml"
}

# make_merged_project writes a 20-service compose.yaml and an override that
# adds an environment entry and a label to each service.
make_merged_project() {
	local dir=$work/merged i
	mkdir -p "$dir"
	{
		echo "services:"
		for ((i = 1; i <= merged_services; i++)); do
			printf '  s%02d:\n    image: %s\n    command: ["-listen", ":8080"]\n    environment: {TIER: base}\n' "$i" "$image"
		done
	} >"$dir/compose.yaml"
	{
		echo "services:"
		for ((i = 1; i <= merged_services; i++)); do
			printf '  s%02d:\n    environment: {TIER: dev, SLOT: "%d"}\n    labels: {bench.slot: "%d"}\n' "$i" "$i" "$i"
		done
	} >"$dir/compose.override.yaml"
}

find_compose() {
	find_compose_bin
	((${#compose_cmd[@]} == 0)) || compose=(env DOCKER_BUILDKIT=0 "${compose_cmd[@]}")
}

# round TOOL runs one round for TOOL: the cold build up, its down; then the
# merged project's up, timed no-op up, down.
round() {
	local bf=(-f "$work/build/compose.yaml") mf=(-f "$work/merged/compose.yaml" -f "$work/merged/compose.override.yaml")
	remove_built
	case $1 in
	devenv)
		timed devenv.build_cold "${devenv[@]}" "${bf[@]}" -p "$dproj" --progress plain up
		run "${devenv[@]}" "${bf[@]}" -p "$dproj" down -v
		run "${devenv[@]}" "${mf[@]}" -p "$dproj" --progress plain up
		timed devenv.merged_noop "${devenv[@]}" "${mf[@]}" -p "$dproj" --progress plain up
		run "${devenv[@]}" "${mf[@]}" -p "$dproj" down -v
		;;
	compose)
		timed compose.build_cold "${compose[@]}" "${bf[@]}" -p "$cproj" up -d
		run "${compose[@]}" "${bf[@]}" -p "$cproj" down -v
		run "${compose[@]}" "${mf[@]}" -p "$cproj" up -d
		timed compose.merged_noop "${compose[@]}" "${mf[@]}" -p "$cproj" up -d
		run "${compose[@]}" "${mf[@]}" -p "$cproj" down -v
		;;
	esac
}

row() {
	local d c ratio=-
	d=$(median "devenv.$2")
	c=$(median "compose.$2")
	if [[ $d != - && $c != - && $c -gt 0 ]]; then
		ratio=$(awk -v d="$d" -v c="$c" 'BEGIN { printf "%.3f", d / c }')
	fi
	printf '%-40s %10s %10s %15s\n' "$1" "$d" "$c" "$ratio"
}

main() {
	local load_start r
	load_start=$(cut -d ' ' -f 1 /proc/loadavg)
	ensure_image
	say "building devenv"
	go build -o "$work/devenv" ./cmd/devenv
	devenv=("$work/devenv")
	find_compose
	make_build_project
	make_merged_project
	for ((r = 1; r <= rounds; r++)); do
		say "round $r of $rounds"
		if ((${#compose[@]} == 0)); then
			round devenv
		elif ((r % 2)); then
			round devenv
			round compose
		else
			round compose
			round devenv
		fi
	done
	echo "devenv benchmark: compose files (bench/compose.sh)"
	echo "command:  $cmdline"
	echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "machine:  nproc=$(nproc), docker engine $(docker version -f '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null)"
	echo "devenv:   $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	if ((${#compose[@]})); then
		echo "peer:     $compose_name, DOCKER_BUILDKIT=0 (classic builder, as devenv); up is 'up -d'"
	else
		echo "peer:     none found (COMPOSE_BIN unset, no 'docker compose', no docker-compose): devenv figures only"
	fi
	echo "load:     1-minute load average $load_start at the start, $(cut -d ' ' -f 1 /proc/loadavg) at the end"
	echo "rounds:   $rounds, tools alternating which goes first; medians in ms"
	echo
	printf '%-40s %10s %10s %15s\n' operation devenv compose devenv/compose
	row "cold up, 3 services that build" build_cold
	row "no-op up, $merged_services services from 2 merged files" merged_noop
	echo
	echo "per round (ms), devenv:  build $(paste -sd ' ' "$work/results/devenv.build_cold")  no-op $(paste -sd ' ' "$work/results/devenv.merged_noop")"
	if ((${#compose[@]})); then
		echo "per round (ms), compose: build $(paste -sd ' ' "$work/results/compose.build_cold")  no-op $(paste -sd ' ' "$work/results/compose.merged_noop")"
	fi
}

main
