#!/usr/bin/env bash
# Benchmark of kompose's volume backups.
#
# 1. vol:export of a volume of about BENCH_SIZE_MB (default 1024) MB,
#    half incompressible and half text, against what a user would run on
#    the host: tar -C <the volume's folder> -c . | zstd. Paired runs (A B A B)
#    of the whole processes, wall time, CPU and peak memory (the largest
#    single process: kompose's own, or docker cp's).
# 2. prune over 500 stacks with 30 dumps each (`kompose "*" prune
#    --keep-daily 7`, 23 of 30 dumps removed per stack), the copy of a
#    fresh root included, against the copy alone.
#
#   scripts/bench-vol.sh                # ~1 GB, a few minutes
#   BENCH_SIZE_MB=200 BENCH_RUNS=3 scripts/bench-vol.sh
#   BENCH_GZIP=1 scripts/bench-vol.sh   # also --compress gzip against gzip -6 (slow)
#   BENCH_BASE_KOMPOSE=/path/to/kompose scripts/bench-vol.sh
#                                       # also vol:export against another build (B)
#
# Needs root (to read the volume's folder on the host for the baseline),
# the Docker Engine, the local image kompose-test/debian:bookworm, zstd,
# and the timing program on PATH that does paired runs.
set -euo pipefail

size_mb=${BENCH_SIZE_MB:-1024}
runs=${BENCH_RUNS:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH_TIMER:-farm-bench}
command -v "$bench" >/dev/null || { echo "no $bench on PATH" >&2; exit 1; }
command -v zstd >/dev/null || { echo "no zstd: run scripts/install-deps.sh" >&2; exit 1; }

work=$(mktemp -d /tmp/kompose-bench-vol.XXXXXX)
project=${BENCH_PROJECT:-kompose-bench-vol-$$}
cleanup() {
  docker compose -p "$project" down -v >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$here" && go build -o "$work/kompose" ./cmd/kompose)
k=$work/kompose

mkdir -p "$work/root/vol"
cat >"$work/root/vol/compose.yaml" <<YAML
name: $project
services:
  app:
    image: kompose-test/debian:bookworm
    pull_policy: never
    network_mode: none
    command: ["sleep", "infinity"]
    volumes: [data:/data]
volumes:
  data: {}
YAML
"$k" --root "$work/root" vol up -d >/dev/null 2>&1
half=$((size_mb / 2))
docker compose -p "$project" exec -T app bash -c "
  set -e; mkdir -p /data/bin /data/text
  for i in \$(seq 1 $((half / 8))); do head -c 8000000 /dev/urandom > /data/bin/f\$i; done
  for i in \$(seq 1 $((half / 8))); do head -c 6000000 /dev/urandom | base64 > /data/text/t\$i.txt; done"
"$k" --root "$work/root" vol stop >/dev/null 2>&1
mnt=$(docker volume inspect --format '{{.Mountpoint}}' "${project}_data")
echo "volume ${project}_data: $(du -sh "$mnt" | cut -f1) in $(find "$mnt" -type f | wc -l) files"

echo
echo "== vol:export (A) vs tar -C <volume folder> -c . | zstd on the host (B)"
"$bench" -n "$runs" --timeout 3000 \
  --vs "sh -c 'tar -C $mnt -c . | zstd -q -3 -o $work/baseline.tar.zst && rm -f $work/baseline.tar.zst'" \
  -- sh -c "$k --root $work/root vol vol:export data >/dev/null 2>&1 && rm -f $work/root/vol/backups/data_*"

ctr=$(docker compose -p "$project" ps -aq app)
echo
echo "== vol:export (A) vs docker cp <container>:/data/. - | zstd (B): the same path through the engine, without kompose"
"$bench" -n "$runs" --timeout 3000 \
  --vs "sh -c 'docker cp $ctr:/data/. - | zstd -q -3 -o $work/baseline.tar.zst && rm -f $work/baseline.tar.zst'" \
  -- sh -c "$k --root $work/root vol vol:export data >/dev/null 2>&1 && rm -f $work/root/vol/backups/data_*"

echo
echo "== docker cp <container>:/data/. - > /dev/null alone: what streaming through the engine costs"
"$bench" -n "$runs" --timeout 3000 -- sh -c "docker cp $ctr:/data/. - > /dev/null"

if [[ -n ${BENCH_BASE_KOMPOSE:-} ]]; then
  echo
  echo "== vol:export (A) vs vol:export of $BENCH_BASE_KOMPOSE (B)"
  "$bench" -n "$runs" --timeout 3000 \
    --vs "sh -c '$BENCH_BASE_KOMPOSE --root $work/root vol vol:export data >/dev/null 2>&1 && rm -f $work/root/vol/backups/data_*'" \
    -- sh -c "$k --root $work/root vol vol:export data >/dev/null 2>&1 && rm -f $work/root/vol/backups/data_*"
fi

if [[ ${BENCH_GZIP:-0} == 1 ]]; then
  echo
  echo "== vol:export --compress gzip (A) vs tar | gzip -6 (B)"
  "$bench" -n 3 --timeout 3000 \
    --vs "sh -c 'tar -C $mnt -c . | gzip -6 > $work/baseline.tar.gz && rm -f $work/baseline.tar.gz'" \
    -- sh -c "$k --root $work/root vol vol:export data --compress gzip >/dev/null 2>&1 && rm -f $work/root/vol/backups/data_*"
fi

echo
echo "== prune over 500 stacks, 30 dumps each (A: copy of the root + prune; B: the copy alone)"
tpl=$work/tpl
for i in $(seq -w 1 500); do
  d=$tpl/s$i; mkdir -p "$d"
  printf 'services: {web: {image: nginx}}\n' >"$d/compose.yaml"
  printf 'DB_NAME=s%s\n' "$i" >"$d/.env"
  for j in $(seq 0 29); do : >"$d/s${i}_$(date -d "2026-11-01 +$j day" +%Y%m%d)_031500.sql"; done
done
"$bench" -n "$runs" --timeout 600 \
  --vs "sh -c 'rm -rf $work/r && cp -a $tpl $work/r'" \
  -- sh -c "rm -rf $work/r && cp -a $tpl $work/r && $k --root $work/r '*' prune --keep-daily 7 >/dev/null 2>&1"
echo
echo "== prune alone on a fresh copy of the root, three times (GNU time: wall s, peak KiB)"
for _ in 1 2 3; do
  rm -rf "$work/r" && cp -a "$tpl" "$work/r"
  /usr/bin/time -f '%e s, %M KiB' "$k" --root "$work/r" '*' prune --keep-daily 7 >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  tail -1 "$work/err"
done
left=$(find "$work/r" -name '*.sql' | wc -l)
echo "dumps left after a prune: $left (want 500 x 7 = 3500)"
