#!/usr/bin/env bash
# Benchmarks running stacks at once (-j N, issue 11):
#
#   16 stacks whose compose takes 1 s, -j 8            goal: <= 2.5 s wall
#   500 stacks of bench-core.sh (two hooks each), -j 4 goal: >= 6x kompose.sh (5.3 s)
#   12 real stacks `up -d` on the Docker Engine, -j 4 against -j 1: goal >= 2x
#
# Usage: scripts/bench-parallel.sh [runs] [--no-engine]   (default 5 runs
# each, the median is reported; --no-engine skips the real-engine part).
# Needs bash and Go; the real part needs the Docker Engine, the Compose
# plugin and the image kompose-test/debian:bookworm (scripts/build-images.sh).
set -euo pipefail
source "$(dirname "$0")/lib/bench.sh"

runs=${1:-5}
engine=1
[[ ${2-} == --no-engine ]] && engine=0
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
cleanup() {
  if ((engine)) && [[ -x $work/kompose ]]; then
    KOMPOSE_ROOT=$work/real "$work/kompose" -j 4 '*' down >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "building kompose" >&2
go build -C "$repo" -o "$work/kompose" ./cmd/kompose


# 1. Sixteen stacks whose compose command takes a second.
mkdir -p "$work/slow/bin" "$work/slow/docker/cli-plugins" "$work/slow/root"
printf '#!/bin/sh\nsleep 1\n' >"$work/slow/bin/docker"
cp "$work/slow/bin/docker" "$work/slow/docker/cli-plugins/docker-compose"
chmod +x "$work/slow/bin/docker" "$work/slow/docker/cli-plugins/docker-compose"
for ((i = 1; i <= 16; i++)); do
  mkdir -p "$work/slow/root/s$i"
  printf 'services:\n  app:\n    image: nginx\n' >"$work/slow/root/s$i/compose.yaml"
done
slow=$(PATH="$work/slow/bin:$PATH" DOCKER_CONFIG="$work/slow/docker" NO_COLOR=1 \
  median_seconds "$work/kompose" --root "$work/slow/root" -j 8 '*' up -d)

# 2. bench-core.sh's 500 stacks, a docker that exits at once.
mkdir -p "$work/fast/bin" "$work/fast/docker/cli-plugins"
printf '#!/bin/sh\nexit 0\n' >"$work/fast/bin/docker"
cp "$work/fast/bin/docker" "$work/fast/docker/cli-plugins/docker-compose"
chmod +x "$work/fast/bin/docker" "$work/fast/docker/cli-plugins/docker-compose"
root=$work/r500
mkdir -p "$root"
printf 'NETWORK_NAME=proxy\nTZ=UTC\n' >"$root/.env"
for ((i = 1; i <= 500; i++)); do
  name=$(printf 'stack%03d' "$i")
  mkdir -p "$root/$name"
  printf 'services:\n  app:\n    image: nginx:${TAG:-1.27}\n' >"$root/$name/compose.yaml"
  printf 'TAG=1.27\nDB_NAME=%s\nDB_USER=%s\nDB_PASSWORD=secret-%s\n' "$name" "$name" "$i" >"$root/$name/.env"
  printf 'hook_pre_up() {\n  : "about to start $stack"\n}\nhook_post_up() {\n  : "started $stack"\n}\nhook_pre_down() {\n  : "stopping $stack"\n}\n' >"$root/$name/hooks.sh"
done
fast() { PATH="$work/fast/bin:$PATH" DOCKER_CONFIG="$work/fast/docker" NO_COLOR=1 median_seconds "$@"; }
j1=$(fast "$work/kompose" --root "$root" '*' up -d)
j4=$(fast "$work/kompose" --root "$root" -j 4 '*' up -d)
j2=$(fast "$work/kompose" --root "$root" -j 2 '*' up -d)

awk -v slow="$slow" -v j1="$j1" -v j2="$j2" -v j4="$j4" 'BEGIN {
  printf "16 stacks, compose 1 s, -j 8:  %.3f s  (goal <= 2.5 s)\n", slow
  printf "500 stacks, -j 1:              %.3f s  (kompose.sh 5.3 s: %.1fx)\n", j1, 5.3 / j1
  printf "500 stacks, -j 2:              %.3f s  (kompose.sh 5.3 s: %.1fx)\n", j2, 5.3 / j2
  printf "500 stacks, -j 4:              %.3f s  (kompose.sh 5.3 s: %.1fx; goal 6x)\n", j4, 5.3 / j4
}'

((engine)) || exit 0

# 3. Twelve real stacks against the Docker Engine: up -d, then down, timed
# on up -d only.
real=$work/real
for ((i = 1; i <= 12; i++)); do
  name=$(printf 'bench%02d' "$i")
  idle_stack "$real/$name" "kompose-bench-$$-$name"
done
real_up() { # real_up J: median wall time of up -d with -j J
  local i t0 t1 times=()
  for ((i = 0; i < runs; i++)); do
    NO_COLOR=1 "$work/kompose" --root "$real" -j 4 '*' down >/dev/null 2>&1
    t0=$(date +%s%N)
    NO_COLOR=1 "$work/kompose" --root "$real" -j "$1" '*' up -d >/dev/null 2>&1
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]/1e6}'
}
r1=$(real_up 1)
r4=$(real_up 4)
awk -v r1="$r1" -v r4="$r4" 'BEGIN {
  printf "12 real stacks up -d, -j 1:    %.3f s\n", r1
  printf "12 real stacks up -d, -j 4:    %.3f s  (%.1fx faster; goal 2x)\n", r4, r1 / r4
}'
