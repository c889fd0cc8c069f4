# Shared helpers of the bench/*.sh scripts; sourced, not run.
# The caller sets $log (where benchmarked commands' output goes).

say() { echo "bench: $*" >&2; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# run CMD... runs a benchmarked command with its output in $log, failing the
# script (and showing the log) if it fails.
run() {
	echo "+ $*" >>"$log"
	if ! "$@" >>"$log" 2>&1; then
		say "failed: $*"
		return 1
	fi
}

# find_compose_bin sets compose_cmd (an array: the compose command), and
# compose_version, compose_name, compose_bin and compose_v1; it leaves
# compose_cmd empty when no compose is installed. COMPOSE_BIN picks one.
find_compose_bin() {
	compose_cmd=()
	if [[ -n ${COMPOSE_BIN:-} ]]; then
		read -r -a compose_cmd <<<"$COMPOSE_BIN"
		"${compose_cmd[@]}" version >/dev/null 2>&1 || { say "COMPOSE_BIN=\"$COMPOSE_BIN\" does not run"; exit 1; }
	elif docker compose version >/dev/null 2>&1; then
		compose_cmd=(docker compose)
	elif command -v docker-compose >/dev/null 2>&1; then
		compose_cmd=(docker-compose)
	else
		return 0
	fi
	compose_version=$("${compose_cmd[@]}" version --short 2>/dev/null || "${compose_cmd[@]}" version | head -n 1)
	compose_version=${compose_version#v}
	compose_name="${compose_cmd[*]} $compose_version"
	compose_bin="${compose_cmd[*]}"
	compose_v1=0
	[[ $compose_version != 1.* ]] || compose_v1=1
}

# ensure_image makes sure $image (the caller sets it) is in the engine: examples/build
# when the repo has it, else bench/testimage (both skip an unchanged load).
ensure_image() {
	if [[ -d examples/build ]]; then
		say "building $image with go run ./examples/build"
		go run ./examples/build >>"$log" 2>&1 || say "examples/build failed; trying bench/testimage"
	fi
	if ! docker image inspect "$image" >/dev/null 2>&1; then
		say "building $image with go run ./bench/testimage"
		go run ./bench/testimage
	fi
	docker image inspect "$image" >/dev/null
}
