#!/usr/bin/env bash
# Benchmarks `kompose "*" status`:
#
#   200 stacks, fake docker output     goal: <= 3 docker processes, <= 0.3 s
#   40 real stacks on the local engine goal: <= 2 s
#
# Each stack has a compose.yaml and a .env with DB_NAME (so status also
# lists its dumps: two dump files per stack, the newest a zstd file with
# mariadb-dump's header, whose engine status reads). The fake docker logs each
# call and prints one running container per stack for `docker ps`. The
# real part starts 40 projects of one idle container each (network_mode:
# none, image kompose-test/debian:bookworm, see scripts/provision.sh) and
# removes them at the end; skip it with REAL=0.
#
# Usage: scripts/bench-status.sh [runs]   (default 10 runs each; the median
# is reported). Needs bash and Go; the real part needs Docker and Compose.
set -euo pipefail
source "$(dirname "$0")/lib/bench.sh"

runs=${1:-10}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
prefix="kbench-$$-"
cleanup() {
  if [[ ${REAL:-1} != 0 && -d $work/real ]]; then
    (cd "$work/real" && "$work/kompose" --root "$work/real" '*' down --timeout 1 >/dev/null 2>&1) || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "building kompose" >&2
go build -C "$repo" -o "$work/kompose" ./cmd/kompose


# --- 200 stacks, fake docker ---
mkdir -p "$work/bin" "$work/fake"
cat >"$work/bin/docker" <<EOS
#!/bin/sh
echo "\$*" >>"$work/docker.log"
[ "\$1" = ps ] && cat "$work/ps.jsonl"
exit 0
EOS
chmod +x "$work/bin/docker"
for ((i = 1; i <= 200; i++)); do
  name=$(printf 'stack%03d' "$i")
  mkdir -p "$work/fake/$name"
  printf 'services:\n  app:\n    image: nginx:1.27\n  db:\n    image: postgres:16\n' >"$work/fake/$name/compose.yaml"
  printf 'DB_NAME=%s\nDB_PASSWORD=secret-%s\n' "$name" "$i" >"$work/fake/$name/.env"
  : >"$work/fake/$name/${name}_20250101_030000.sql.zst"
  # The newest dump has a real header: status reads its engine from it.
  printf -- '-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB\n--\n' | zstd -q -c >"$work/fake/$name/${name}_20250102_030000.sql.zst"
  for svc in app db; do
    printf '{"project":"%s","service":"%s","oneoff":"","name":"%s-%s-1","state":"running","status":"Up 2 hours (healthy)"}\n' "$name" "$svc" "$name" "$svc" >>"$work/ps.jsonl"
  done
done
PATH="$work/bin:$PATH" "$work/kompose" --root "$work/fake" '*' status >"$work/out.txt"
rm -f "$work/docker.log"
PATH="$work/bin:$PATH" "$work/kompose" --root "$work/fake" '*' status >/dev/null
procs=$(wc -l <"$work/docker.log")
rows=$(($(wc -l <"$work/out.txt") - 1))
t=$(PATH="$work/bin:$PATH" median_seconds "$work/kompose" --root "$work/fake" '*' status)
echo "status, 200 stacks, fake docker: $rows rows, $procs docker process(es), median $t s over $runs runs"

# --- 40 real stacks ---
if [[ ${REAL:-1} == 0 ]]; then exit 0; fi
mkdir -p "$work/real"
for ((i = 1; i <= 40; i++)); do
  name=$(printf 's%02d' "$i")
  idle_stack "$work/real/$name" "${prefix}$name"
done
echo "starting 40 projects" >&2
"$work/kompose" --root "$work/real" '*' up -d >/dev/null 2>&1
"$work/kompose" --root "$work/real" '*' status >"$work/real.txt" || { cat "$work/real.txt"; exit 1; }
running=$(grep -c 'running 1/1' "$work/real.txt")
t=$(median_seconds "$work/kompose" --root "$work/real" '*' status)
echo "status, 40 real stacks: $running running, median $t s over $runs runs"
