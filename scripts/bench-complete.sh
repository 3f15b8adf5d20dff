#!/usr/bin/env bash
# Benchmark of shell completion (goal: an answer within 50 ms for a root of
# 500 stacks), whole processes in paired runs (A B A B ...) with the
# paired-run timer on PATH (BENCH_TIMER, default farm-bench):
#
#   kompose __complete stack4            in a root of 500  vs  in a root of 5
#   kompose __complete stack001 db:import ''  (reads one .env, lists dumps)
#                                        vs  kompose --version (start-up alone)
#   bash: source the script, call _kompose as bash does  vs  the same in the root of 5
#
# Each stack has a compose.yaml, a .env with DB_NAME and two dumps. All in a
# temporary folder, removed at the end.
#
#   scripts/bench-complete.sh [runs]     (default 20 pairs)
set -euo pipefail

runs=${1:-20}
timer=${BENCH_TIMER:-farm-bench}
repo=$(cd "$(dirname "$0")/.." && pwd)
command -v "$timer" >/dev/null || { echo "missing the paired-run timer $timer (BENCH_TIMER)" >&2; exit 1; }
work=$(mktemp -d /tmp/kompose-bench-complete.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "building kompose" >&2
go build -C "$repo" -o "$work/kompose" ./cmd/kompose

# root N: a root of N stacks in $work/rootN/stacks.
root() {
  local n=$1 i name
  for ((i = 1; i <= n; i++)); do
    name=$(printf 'stack%03d' "$i")
    mkdir -p "$work/root$n/stacks/$name"
    printf 'services:\n  app:\n    image: nginx:1.27\n' >"$work/root$n/stacks/$name/compose.yaml"
    printf 'DB_NAME=%s\nDB_PASSWORD=secret-%s\n' "$name" "$i" >"$work/root$n/stacks/$name/.env"
    : >"$work/root$n/stacks/$name/${name}_20260101_030000.sql.zst"
    : >"$work/root$n/stacks/$name/${name}_20260102_030000.sql.zst"
  done
}
root 500
root 5
"$work/kompose" completion bash >"$work/kompose.bash"
cat >"$work/bash-complete.sh" <<EOS
source "$work/kompose.bash"
COMP_LINE='kompose stack4' COMP_POINT=14 COMP_WORDS=(kompose stack4) COMP_CWORD=1
_kompose
EOS
mkdir -p "$work/bin" && ln -s "$work/kompose" "$work/bin/kompose"

k() { printf 'sh -c "cd %s && exec %s __complete %s"' "$1" "$work/kompose" "$2"; }
echo "== kompose __complete stack4: root of 500 (A) vs root of 5 (B)"
(cd "$work/root500" && "$timer" -n "$runs" --vs "$(k "$work/root5" stack4)" -- "$work/kompose" __complete stack4)
echo "== kompose __complete stack001 db:import '' (A) vs kompose --version (B), root of 500"
(cd "$work/root500" && "$timer" -n "$runs" --vs "$work/kompose --version" -- "$work/kompose" __complete stack001 db:import '')
echo "== bash: _kompose for 'kompose stack4', root of 500 (A) vs root of 5 (B)"
(cd "$work/root500" && PATH="$work/bin:$PATH" "$timer" -n "$runs" \
  --vs "sh -c 'cd $work/root5 && exec bash --norc $work/bash-complete.sh'" -- bash --norc "$work/bash-complete.sh")
