#!/usr/bin/env bash
# Benchmarks kompose's core path against the figures kompose.sh set:
#
#   dry run of `up -d` over 100 stacks      kompose.sh: 0.89 s  goal: 20x faster (< 44 ms)
#   real run of `up -d` over 500 stacks     kompose.sh: 5.3 s   goal: 3x faster  (< 1.77 s)
#   dry run of `stack001 up -d` in a root of 500 stacks against a root of 5
#                                           goal: within 1.3x (issue 19)
#
# Each stack has a compose.yaml, a .env and a hooks.sh defining three hooks
# (hook_pre_up, hook_post_up, hook_pre_down), so `up -d` runs two hooks per
# stack, each in its own bash, around a docker that exits at once.
#
# Usage: scripts/bench-core.sh [runs]   (default 10 runs each; the median is
# reported). Needs bash and Go; uses hyperfine when installed.
set -euo pipefail
source "$(dirname "$0")/lib/bench.sh"

runs=${1:-10}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building kompose" >&2
go build -C "$repo" -o "$work/kompose" ./cmd/kompose

# A docker that exits at once, installed as the Compose v2 plugin would be.
mkdir -p "$work/bin" "$work/docker/cli-plugins"
printf '#!/bin/sh\nexit 0\n' >"$work/bin/docker"
cp "$work/bin/docker" "$work/docker/cli-plugins/docker-compose"
chmod +x "$work/bin/docker" "$work/docker/cli-plugins/docker-compose"

make_root() { # make_root DIR N
  local root=$1 n=$2 i name
  mkdir -p "$root"
  printf 'NETWORK_NAME=proxy\nTZ=UTC\n' >"$root/.env"
  for ((i = 1; i <= n; i++)); do
    name=$(printf 'stack%03d' "$i")
    mkdir -p "$root/$name"
    printf 'services:\n  app:\n    image: nginx:${TAG:-1.27}\n' >"$root/$name/compose.yaml"
    printf 'TAG=1.27\nDB_NAME=%s\nDB_USER=%s\nDB_PASSWORD=secret-%s\n' "$name" "$name" "$i" >"$root/$name/.env"
    cat >"$root/$name/hooks.sh" <<'HOOKS'
hook_pre_up() {
  : "about to start $stack"
}
hook_post_up() {
  : "started $stack"
}
hook_pre_down() {
  : "stopping $stack"
}
HOOKS
  done
}
make_root "$work/r5" 5
make_root "$work/r100" 100
make_root "$work/r500" 500

export PATH="$work/bin:$PATH" DOCKER_CONFIG="$work/docker" NO_COLOR=1


"$work/kompose" --root "$work/r100" '*' up -d --dry-run | grep -c '^--> ' | {
  read -r steps; echo "dry run plans $steps steps over 100 stacks" >&2; }

dry=$(median_seconds "$work/kompose" --root "$work/r100" '*' up -d --dry-run)
real=$(median_seconds "$work/kompose" --root "$work/r500" '*' up -d)
one5=$(median_seconds "$work/kompose" --root "$work/r5" stack001 up -d --dry-run)
one500=$(median_seconds "$work/kompose" --root "$work/r500" stack001 up -d --dry-run)

awk -v dry="$dry" -v real="$real" -v one5="$one5" -v one500="$one500" 'BEGIN {
  printf "dry run, 100 stacks:  %.3f s  (kompose.sh 0.89 s: %.0fx faster; goal 20x)\n", dry, 0.89 / dry
  printf "real run, 500 stacks: %.3f s  (kompose.sh 5.3 s: %.1fx faster; goal 3x)\n", real, 5.3 / real
  printf "one stack, dry run:   %.3f s in a root of 500, %.3f s in a root of 5 (%.2fx; goal within 1.3x)\n", one500, one5, one500 / one5
}'
