#!/usr/bin/env bash
# bench/pull.sh — how fast devenv pulls a stack's images from a registry, and
# what its progress display costs, next to docker compose pull in the same run.
#
#   bash bench/pull.sh [ROUNDS]          (from the repo root; ROUNDS defaults to 5)
#   COMPOSE_BIN="docker compose" bash bench/pull.sh
#   DEVENV_BIN=/path/to/devenv bash bench/pull.sh   (measure that binary; default: build ./cmd/devenv)
#
# The images are 10 of ~30 MB (a shared 10 MB base layer and 20 MB of their
# own, random bytes) in an in-memory registry on 127.0.0.1 (bench/pullimages).
# Every pull starts with none of them in the engine. Figures go to stdout,
# progress to stderr. It is not a test: it exits non-zero only when an
# operation itself fails.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

rounds=${1:-5}
if [[ ! $rounds =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: bash bench/pull.sh [ROUNDS]   (ROUNDS: a positive integer, default 5; got \"$rounds\")" >&2
	exit 2
fi
cmdline="${COMPOSE_BIN:+COMPOSE_BIN=\"$COMPOSE_BIN\" }${DEVENV_BIN:+DEVENV_BIN=$DEVENV_BIN }bash bench/pull.sh $*"
cd "$(dirname "${BASH_SOURCE[0]}")/.."

images=10
base_mb=10
own_mb=20
devenv_project=benchpull-devenv
compose_project=benchpull-compose
tty_cols=120
tty_rows=40

work=$(mktemp -d "${TMPDIR:-/tmp}/devenv-bench-pull.XXXXXX")
log=$work/log # output of every benchmarked command, shown when one fails
registry_pid=
refs=()
devenv=()
compose=()
has_pull=0

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
	((${#refs[@]} == 0)) || docker rmi -f "${refs[@]}" >/dev/null 2>&1 || true
	if [[ -n $registry_pid ]]; then
		kill "$registry_pid" 2>/dev/null || true
		wait "$registry_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "bench: interrupted; removing the images and the registry" >&4; exit 130' INT TERM

# timed KEY CMD... runs CMD under /usr/bin/time and appends its wall time in
# ms to results/KEY and its CPU time (user+system, s) to results/KEY.cpu. A
# CMD that is `script` wraps the timed command itself; see pull_tty.
timed() {
	local key=$1 t0 t1
	shift
	t0=$(now_ms)
	run "$@"
	t1=$(now_ms)
	echo $((t1 - t0)) >>"$work/results/$key"
	awk '{ printf "%.2f\n", $1 + $2 }' "$work/time.out" >>"$work/results/$key.cpu"
}

# median KEY prints the median of results/KEY, or "-" when there is none:
# whole milliseconds, or CPU seconds (KEY ending in .cpu) to two decimals.
median() {
	[[ -s $work/results/$1 ]] || { echo -; return; }
	local format='%d\n'
	[[ $1 != *.cpu ]] || format='%.2f\n'
	sort -g "$work/results/$1" | awk -v f="$format" '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      if (f == "%d\n") m = int(m + 0.5)
		      printf f, m }'
}

# build builds bench/pullimages and devenv, unless DEVENV_BIN names a devenv
# binary to measure instead.
build() {
	if [[ -n ${DEVENV_BIN:-} ]]; then
		say "building bench/pullimages; measuring $DEVENV_BIN"
		devenv_bin=$DEVENV_BIN
	else
		say "building devenv and bench/pullimages"
		devenv_bin=$work/devenv
		go build -o "$devenv_bin" ./cmd/devenv
	fi
	go build -o "$work/pullimages" ./bench/pullimages
	devenv=("$devenv_bin" -f "$work/envs.yaml")
}

# start_registry runs bench/pullimages in the background and waits until it
# has pushed every image and written their references.
start_registry() {
	say "making $images images of $((base_mb + own_mb)) MB and pushing them to an in-memory registry"
	"$work/pullimages" -ready "$work/refs" -images "$images" -base-mb "$base_mb" -own-mb "$own_mb" >>"$log" 2>&1 &
	registry_pid=$!
	local deadline=$(($(now_ms) + 300000))
	until [[ -f $work/refs ]]; do
		kill -0 "$registry_pid" 2>/dev/null || { say "bench/pullimages exited early"; return 1; }
		(($(now_ms) < deadline)) || { say "bench/pullimages not ready after 300 s"; return 1; }
		sleep 0.1
	done
	mapfile -t refs <"$work/refs"
	registry_addr=${refs[0]%%/*}
}

# write_stacks writes the same $images services, once for each tool. They
# are only pulled, never started.
write_stacks() {
	local i
	{
		echo "name: $devenv_project"
		echo "services:"
		for i in "${!refs[@]}"; do
			printf '  svc%02d:\n    image: %s\n    command: ["x"]\n' $((i + 1)) "${refs[$i]}"
		done
	} >"$work/envs.yaml"
	{
		echo "services:"
		for i in "${!refs[@]}"; do
			printf '  svc%02d:\n    image: %s\n    command: ["x"]\n' $((i + 1)) "${refs[$i]}"
		done
	} >"$work/compose.yaml"
}

# find_compose sets compose (the command, with -f and -p) and the peer's
# version facts (lib.sh), or leaves compose empty when no compose is installed.
find_compose() {
	compose=()
	find_compose_bin
	((${#compose_cmd[@]} == 0)) || compose=("${compose_cmd[@]}" -f "$work/compose.yaml" -p "$compose_project")
}

# find_pull sets has_pull when this devenv has a pull command. An unknown
# command with --help prints the root help and exits 0, so look at the text.
find_pull() {
	if "$devenv_bin" pull --help 2>&1 | grep -q 'devenv pull'; then
		has_pull=1
	else
		say "devenv pull not available (this devenv has no pull command): measuring only the peer"
	fi
}

# remove_images removes every bench image from the engine and checks that
# none is left, so that the next pull transfers everything.
remove_images() {
	docker rmi -f "${refs[@]}" >>"$log" 2>&1 || true
	local r
	for r in "${refs[@]}"; do
		if docker image inspect "$r" >/dev/null 2>&1; then
			say "could not remove $r"
			return 1
		fi
	done
}

# check_pulled fails unless the engine now has every image.
check_pulled() {
	docker image inspect "${refs[@]}" >/dev/null 2>&1 || { say "$1 returned, but not every image is in the engine"; return 1; }
}

pull_plain() {
	timed devenv.plain /usr/bin/time -f '%U %S' -o "$work/time.out" "${devenv[@]}" --progress plain pull
}

# pull_tty runs devenv's live display on a pseudo-terminal of a fixed size;
# /usr/bin/time inside script measures devenv alone.
pull_tty() {
	local cmd
	printf -v cmd '%q ' /usr/bin/time -f '%U %S' -o "$work/time.out" "${devenv[@]}" --progress tty pull
	timed devenv.tty script -qfec "stty cols $tty_cols rows $tty_rows 2>/dev/null; exec $cmd" /dev/null </dev/null
}

pull_compose() {
	timed compose.plain /usr/bin/time -f '%U %S' -o "$work/time.out" "${compose[@]}" pull
}

# round runs every tool once from an empty cache, alternating who goes first.
round() {
	local order=(devenv compose) tool
	(($1 % 2)) || order=(compose devenv)
	for tool in "${order[@]}"; do
		case $tool in
		devenv)
			((has_pull)) || continue
			remove_images
			pull_plain
			check_pulled "devenv --progress plain pull"
			;;
		compose)
			((${#compose[@]})) || continue
			remove_images
			pull_compose
			check_pulled "compose pull"
			;;
		esac
	done
	if ((has_pull)); then
		remove_images
		pull_tty
		check_pulled "devenv --progress tty pull"
	fi
}

# row LABEL DEVENV_KEY COMPOSE_KEY prints one line of the table.
row() {
	local d c ratio=-
	d=$(median "$2")
	c=-
	[[ -z $3 ]] || c=$(median "$3")
	if [[ $d != - && $c != - ]] && awk -v c="$c" 'BEGIN { exit !(c > 0) }'; then
		ratio=$(awk -v d="$d" -v c="$c" 'BEGIN { printf "%.3f", d / c }')
	fi
	printf '%-34s %10s %10s %15s\n' "$1" "$d" "$c" "$ratio"
}

per_round() {
	[[ -s $work/results/$2 ]] || return 0
	printf '  %-32s %s\n' "$1" "$(paste -sd ' ' "$work/results/$2")"
}

machine() {
	local engine api
	engine=$(docker version -f '{{.Server.Version}}' 2>/dev/null || echo unknown)
	api=$(docker version -f '{{.Server.APIVersion}}' 2>/dev/null || echo unknown)
	echo "machine:  nproc=$(nproc), $(uname -sr), $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo || true)"
	echo "          docker engine $engine (API $api), client $(docker version -f '{{.Client.Version}}' 2>/dev/null), $(go version | awk '{ print $3 }')"
	echo "          engine max-concurrent-downloads: $(max_downloads)"
}

# max_downloads is the engine's per-pull download limit, which bounds both tools.
max_downloads() {
	local v
	v=$(sed -n 's/.*"max-concurrent-downloads"[[:space:]]*:[[:space:]]*\([0-9]*\).*/\1/p' /etc/docker/daemon.json 2>/dev/null || true)
	echo "${v:-3 (default; daemon.json does not set it)}"
}

report() {
	local rev
	rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	[[ -z $(git status --porcelain -- . 2>/dev/null) ]] || rev="$rev + uncommitted changes in the working tree"
	echo "devenv benchmark: pulling images (bench/pull.sh)"
	echo "command:  $cmdline"
	echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	machine
	if ((has_pull)); then
		echo "devenv:   ${DEVENV_BIN:-$rev, built with go build -o}"
	else
		echo "devenv:   $rev: devenv pull not available (no pull command in this build); peer figures only"
	fi
	if ((${#compose[@]})); then
		if ((compose_v1)); then
			echo "peer:     $compose_name (compose v1, what this machine has; docker compose v2 is the named peer; set COMPOSE_BIN to use it)"
		else
			echo "peer:     $compose_name"
		fi
	else
		echo "peer:     none found (COMPOSE_BIN unset, no 'docker compose', no docker-compose): devenv figures only"
	fi
	echo "images:   $images, each a shared ${base_mb} MB base layer + its own ${own_mb} MB layer of random bytes:"
	echo "          $((base_mb + images * own_mb)) MB to download per pull; registry: in-memory, plain HTTP, $registry_addr (bench/pullimages)"
	echo "load:     1-minute load average $load_start at the start, $(loadavg) at the end (other work on the machine adds noise)"
	echo "rounds:   $rounds; every pull starts with none of the images in the engine; medians"
	echo "ran:      devenv -f envs.yaml --progress plain pull   and   --progress tty pull (under script -qfec, a ${tty_cols}x${tty_rows} pty)"
	((${#compose[@]} == 0)) || echo "          $compose_bin -f compose.yaml -p $compose_project pull"
	echo "CPU:      user+system seconds of the tool's own process and its children (/usr/bin/time), not the engine's"
	echo
	printf '%-34s %10s %10s %15s\n' "" devenv compose devenv/compose
	row "pull, wall (ms)" devenv.plain compose.plain
	row "pull, CPU (s)" devenv.plain.cpu compose.plain.cpu
	row "pull, --progress tty, wall (ms)" devenv.tty ""
	row "pull, --progress tty, CPU (s)" devenv.tty.cpu ""
	echo
	echo "per round:"
	per_round "devenv plain, wall (ms)" devenv.plain
	per_round "devenv plain, CPU (s)" devenv.plain.cpu
	per_round "devenv tty, wall (ms)" devenv.tty
	per_round "devenv tty, CPU (s)" devenv.tty.cpu
	per_round "compose, wall (ms)" compose.plain
	per_round "compose, CPU (s)" compose.plain.cpu
}

loadavg() { cut -d ' ' -f 1 /proc/loadavg; }

main() {
	mkdir -p "$work/results"
	load_start=$(loadavg)
	compose_v1=0
	[[ -x /usr/bin/time ]] || { say "needs GNU time at /usr/bin/time (apt-get install time)"; exit 1; }
	command -v script >/dev/null || { say "needs script(1) from util-linux"; exit 1; }
	build
	find_pull
	start_registry
	write_stacks
	find_compose
	if ((!has_pull && ${#compose[@]} == 0)); then
		say "nothing to measure: no devenv pull and no compose"
		exit 1
	fi
	local r
	for ((r = 1; r <= rounds; r++)); do
		say "round $r/$rounds"
		round "$r"
	done
	remove_images
	report
}

main
