#!/usr/bin/env bash
# bench/tui.sh — what devenv's interactive UI costs while it sits idle on a
# 30-container stack, and how fast it shows a container's state change; beside
# lazydocker in the same run when LAZYDOCKER_BIN is set.
#
#   bash bench/tui.sh                            (from the repo root)
#   SECS=60 CHANGES=20 ROUNDS=1 bash bench/tui.sh   (idle window length, state changes per UI,
#                                                   idle windows per UI: more on a busy machine)
#   LAZYDOCKER_BIN=/path/to/lazydocker bash bench/tui.sh
#   SETTLE=70 bash bench/tui.sh                 (seconds a UI is left untouched before its idle window:
#                                                   devenv samples CPU/memory every 5 s while used and
#                                                   every 30 s after a minute without a key)
#
# The stack is bench/stack30; bench/tuibench runs each UI in tmux and takes the
# figures. Figures go to stdout as they are measured (the header first, then each
# idle window, then each UI's latency rows), progress to stderr. A UI that fails
# one step gets a FAILED row and the run goes on. It is not a test: it exits
# non-zero only when the harness itself fails (build, stack, tmux, the engine).
#
# lazydocker runs with a config directory of the run's own (CONFIG_DIR) whose
# config.yml sets gui.legacySortContainers: true: containers sorted by name, so
# that a stopped one keeps its row (by default exited ones move below the
# running ones, off the first screen of a 30-container list).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

secs=${SECS:-60}
changes=${CHANGES:-20}
rounds=${ROUNDS:-1}
if [[ ! $secs =~ ^[1-9][0-9]*$ || ! $changes =~ ^[1-9][0-9]*$ || ! $rounds =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: [SECS=60] [CHANGES=20] [ROUNDS=1] [LAZYDOCKER_BIN=path] bash bench/tui.sh   (positive integers)" >&2
	exit 2
fi
cmdline="SECS=$secs SETTLE=${SETTLE:-70} CHANGES=$changes ROUNDS=$rounds${LAZYDOCKER_BIN:+ LAZYDOCKER_BIN=$LAZYDOCKER_BIN} bash bench/tui.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

image=devenv-example/testsvc:dev
stack=$root/bench/stack30/envs.yaml
project=bench30-tui-$$ # this run's own, so that another run's cleanup cannot take its stack away
work=$(mktemp -d "${TMPDIR:-/tmp}/devenv-tuibench.XXXXXX")
log=$work/log
socket=$work/tmux.sock # tmux -S: a tmux server of this run's own
devenv=()
bench_pid=

cleanup() {
	local status=$?
	if ((status != 0 && status != 130)) && [[ -s $log ]]; then
		echo "bench: last lines of the log:" >&2
		tail -n 25 "$log" >&2
	fi
	[[ -z $bench_pid ]] || kill "$bench_pid" 2>/dev/null || true
	tmux -S "$socket" kill-server 2>/dev/null || true
	((${#devenv[@]} == 0)) || "${devenv[@]}" down -v -t 1s >>"$log" 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "bench: interrupted; removing the stack" >&2; exit 130' INT TERM

command -v tmux >/dev/null 2>&1 || { say "needs tmux (apt-get install tmux)"; exit 1; }
# Two runs at once would measure each other: one at a time per machine.
exec 9>"${TMPDIR:-/tmp}/devenv-bench-tui.lock"
flock -n 9 || { say "another bench/tui.sh is running on this machine; wait for it to finish"; exit 1; }
tools=()
lazy_note="lazydocker: not measured (LAZYDOCKER_BIN not set)"
if [[ -n ${LAZYDOCKER_BIN:-} ]]; then
	"$LAZYDOCKER_BIN" --version >/dev/null 2>&1 || { say "LAZYDOCKER_BIN=$LAZYDOCKER_BIN does not run"; exit 1; }
	lazy_note="lazydocker: $("$LAZYDOCKER_BIN" --version 2>&1 | tr '\n' ' ' | sed 's/  */ /g')"
	# tuibench runs a peer with CONFIG_DIR=$work/config/NAME.
	mkdir -p "$work/config/lazydocker"
	printf 'gui:\n  legacySortContainers: true\n' >"$work/config/lazydocker/config.yml"
	lazy_note="$lazy_note
          run with CONFIG_DIR=$work/config/lazydocker (this run's own), whose config.yml sets gui.legacySortContainers: true
          (containers sorted by name, so a stopped one keeps its row; by default exited ones sort last)"
fi

say "building devenv and bench/tuibench"
go build -o "$work/devenv" ./cmd/devenv
go build -o "$work/tuibench" ./bench/tuibench
devenv=("$work/devenv" -f "$stack" -p "$project")
if ! "$work/devenv" tui --help 2>&1 | grep -q 'devenv tui'; then
	say "this devenv has no interactive UI (devenv tui --help does not describe it)"
	exit 1
fi
tools+=(-tool "devenv=$work/devenv -f $stack -p $project")
[[ -z ${LAZYDOCKER_BIN:-} ]] || tools+=(-tool "lazydocker=$LAZYDOCKER_BIN")

if ! docker image inspect "$image" >/dev/null 2>&1; then
	say "building $image with go run ./bench/testimage"
	go run ./bench/testimage >>"$log" 2>&1
fi
say "bringing up bench/stack30 (30 services)"
run "${devenv[@]}" down -v -t 1s
run "${devenv[@]}" --progress plain up

load_start=$(cut -d ' ' -f 1 /proc/loadavg)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git status --porcelain -- . 2>/dev/null) ]] || rev="$rev + uncommitted changes in the working tree"
# The header first; tuibench then prints each figure as soon as it has it, so a
# step that fails late loses nothing measured before it.
echo "devenv benchmark: the interactive UI (bench/tui.sh)"
echo "command:  $cmdline"
echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine:  nproc=$(nproc), $(uname -sr), $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo || true)"
echo "          docker engine $(docker version -f '{{.Server.Version}}' 2>/dev/null || echo unknown), $(go version | awk '{ print $3 }'), $(tmux -V)"
echo "devenv:   $rev, built with go build -o"
echo "peer:     $lazy_note"
echo "stack:    bench/stack30 as project $project: 30 running testsvc containers, health checks every 30s (Docker's default)"
echo "terminal: tmux 160x50, NO_COLOR=1 TERM=xterm-256color; each UI alone, started fresh for each part"
echo "load:     1-minute load average $load_start at the start (other work on the machine adds noise)"
echo
"$work/tuibench" -project "$project" -socket "$socket" -dir "$work" -services 30 \
	-window "${secs}s" -settle "${SETTLE:-70}s" -changes "$changes" -rounds "$rounds" "${tools[@]}" &
bench_pid=$!
wait "$bench_pid"
bench_pid=
echo
echo "load:     1-minute load average $(cut -d ' ' -f 1 /proc/loadavg) at the end"
