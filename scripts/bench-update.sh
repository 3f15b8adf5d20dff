#!/usr/bin/env bash
# Benchmarks update at fleet scale (issue 23) against a real registry:
#
#   50 stacks sharing 12 distinct images, 6 of them with a newer digest
#   pushed, on Debian's docker-registry on 127.0.0.1 (access log on):
#
#   kompose "*" update --check        manifest requests (goal: 12) and time,
#                                     against one stack's check (1 image)
#   kompose "*" update                pulls (the engine's manifest HEADs of the tag; goal: 12) and time,
#   against `docker compose pull` run in each stack folder (50 pulls)
#
# Before each update run the 6 tags are pointed back at their old images, so
# every run pulls the same 6 new images (the reset is in both commands).
# No container is started: update compares and pulls, a stack without
# containers is not recreated.
#
# Usage: scripts/bench-update.sh [runs]   (default 5; medians reported).
#        BENCH_ONLY=check scripts/bench-update.sh [runs]: the check only.
# Needs the Docker Engine, the Compose plugin, docker-registry
# (scripts/install-deps.sh) and kompose-test/debian:bookworm
# (scripts/build-images.sh).
set -euo pipefail
source "$(dirname "$0")/lib/bench.sh"

runs=${1:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
reg_pid=""
name=kbench-update-$$
cleanup() {
  [[ -n $reg_pid ]] && kill "$reg_pid" 2>/dev/null && wait "$reg_pid" 2>/dev/null
  docker image ls --format '{{.Repository}}:{{.Tag}}' | grep "/$name/" | xargs -r docker image rm -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v docker-registry >/dev/null || { echo "docker-registry is not installed (scripts/install-deps.sh)" >&2; exit 1; }
echo "building kompose" >&2
go build -C "$repo" -o "$work/kompose" ./cmd/kompose

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port
mkdir -p "$work/storage"
cat >"$work/registry.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: $addr
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do curl -fs "http://$addr/v2/" >/dev/null && break; sleep 0.1; done

# 12 images, built from the test image with a version file; v1 pushed.
build() { # build REF VERSION
  local d=$work/build-$RANDOM
  mkdir -p "$d"
  printf 'FROM kompose-test/debian:bookworm\nCOPY version /version\n' >"$d/Dockerfile"
  echo "$2" >"$d/version"
  docker build -q -t "$1" "$d" 2>/dev/null
}
echo "building and pushing 12 images" >&2
declare -A old
for i in $(seq -f %02g 1 12); do
  ref=$addr/$name/img$i:1
  old[$i]=$(build "$ref" "img$i 1")
  docker push -q "$ref" >/dev/null
done
for i in $(seq -f %02g 1 6); do
  ref=$addr/$name/img$i:1
  build "$ref" "img$i 2" >/dev/null
  docker push -q "$ref" >/dev/null
  docker image tag "${old[$i]}" "$ref"
done
reset="true"
for i in $(seq -f %02g 1 6); do reset="$reset; docker image tag ${old[$i]} $addr/$name/img$i:1"; done
printf '%s\n' "$reset" >"$work/reset.sh"

# 50 stacks, stack N on image N mod 12.
root=$work/root
for n in $(seq -f %02g 1 50); do
  i=$(printf '%02d' $(((10#$n - 1) % 12 + 1)))
  mkdir -p "$root/s$n"
  cat >"$root/s$n/compose.yaml" <<YAML
name: $name-s$n
services:
  app:
    image: $addr/$name/img$i:1
    network_mode: none
YAML
done
cat >"$work/compose-pull-each.sh" <<SH
for d in $root/s*/; do (cd "\$d" && docker compose pull --quiet) || exit 1; done
SH

# manifests METHOD AGENT: the manifest requests of the tag so far with that
# user agent (kompose's check: kompose; a pull: the engine, docker/...,
# which HEADs the tag and GETs only a manifest it does not have).
manifests() { grep "\"$1 /v2/[^ ]*/manifests/1 " "$work/registry.log" | grep -c "\"$2" || true; }
export NO_COLOR=1

# The check: requests of one run, then times.
h0=$(manifests HEAD kompose)
"$work/kompose" --root "$root" '*' update --check >"$work/check.out" 2>&1
h1=$(manifests HEAD kompose)
echo "update --check, 50 stacks: $((h1 - h0)) manifest requests; $(grep -c 'update available' "$work/check.out") services with an update"
one=$(median_seconds "$work/kompose" --root "$root" s01 update --check)
all1=$(median_seconds "$work/kompose" --root "$root" '*' update --check)
all4=$(median_seconds "$work/kompose" --root "$root" -j 4 '*' update --check)
echo "update --check: one stack ${one}s; 50 stacks ${all1}s (-j 1), ${all4}s (-j 4)"

[[ ${BENCH_ONLY:-} == check ]] && exit 0

# The pulls: one run of each, counted, then times.
sh "$work/reset.sh"
g0=$(manifests HEAD docker/)
"$work/kompose" --root "$root" -j 4 '*' update >"$work/update.out" 2>&1
g1=$(manifests HEAD docker/)
sh "$work/reset.sh"
sh "$work/compose-pull-each.sh" >/dev/null 2>&1
g2=$(manifests HEAD docker/)
echo "update, 50 stacks: $((g1 - g0)) pulls (the engine's manifest HEADs); docker compose pull in each folder: $((g2 - g1))"
k1=$(median_seconds sh -c "sh $work/reset.sh && $work/kompose --root $root '*' update")
k4=$(median_seconds sh -c "sh $work/reset.sh && $work/kompose --root $root -j 4 '*' update")
c1=$(median_seconds sh -c "sh $work/reset.sh && sh $work/compose-pull-each.sh")
echo "update: ${k1}s (-j 1), ${k4}s (-j 4); docker compose pull in each folder: ${c1}s"
