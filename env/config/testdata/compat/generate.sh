#!/bin/sh
# Writes SAMPLE.golden.json beside this script for every compose file under
# the compatibility samples (default: ../shared/compat/awesome-compose beside
# the repository): what Docker Compose (docker-compose config, Debian's
# docker-compose package) resolves, reduced by normalize.jq. A sample that
# docker-compose cannot resolve gets no golden file and is reported; review
# the diff of the golden files before committing it.
#   generate.sh                   the samples beside the repository
#   generate.sh selftest selftest TestCompatSelftest's file
# Needs docker-compose, jq and python3 with PyYAML (a dependency of docker-compose).
# PyYAML reads YAML 1.1, where an unquoted 1:30 is a number and yes/no/on/off
# are booleans, unlike the YAML 1.2 of the specification: the samples have no
# such values today; check a new sample's golden file for them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
samples=${1:-$(dirname "$root")/shared/compat/awesome-compose}
dest=$(cd "${2:-$here}" && pwd)
[ -d "$samples" ] || { echo "no samples at $samples" >&2; exit 1; }
errs=$(mktemp)
trap 'rm -f "$errs"' EXIT

without_name() { python3 -c 'import sys, yaml; d = yaml.safe_load(sys.stdin); d.pop("name", None); yaml.safe_dump(d, sys.stdout)'; }
yaml2json() { python3 -c 'import sys, yaml, json; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'; }

cd "$samples"
find . -name '*compose*.y*ml' -not -path '*/.*/*' | sed 's|^\./||' | sort | while read -r file; do
	dir=$(cd "$(dirname "$file")" && pwd)
	base=$(basename "$file")
	name=$(dirname "$file")
	case "$base" in compose.yaml | compose.yml) ;; *) name="$name-${base%.y*ml}" ;; esac
	golden="$dest/$(echo "$name" | tr / -).golden.json"
	# The project name: name: in the file, else the directory's name as Compose derives it.
	project=$(yaml2json <"$file" | jq -r '.name // empty')
	[ -n "$project" ] || project=$(basename "$dir" | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9_-' | sed 's/^[_-]*//')
	# docker-compose 1.29 predates the specification's top-level name:, which
	# only sets the project name (taken above): it gets the file without it.
	if out=$(cd "$dir" && without_name <"$base" | env -i HOME=/home/dev PATH="$PATH" docker-compose -f - config 2>"$errs"); then
		echo "$out" | yaml2json | jq -S --arg dir "$dir" --arg project "$project" -f "$here/normalize.jq" >"$golden"
		echo "ok    $file$(sed -n 's/^WARNING: */ (warning: /p' "$errs" | head -1 | sed 's/$/)/')"
	else
		rm -f "$golden"
		echo "FAIL  $file: $(head -2 "$errs" | tr '\n' ' ')"
	fi
done
