#!/usr/bin/env bash
# What a second nightly vol:export of an unchanged volume sends to the
# restic repository (restic's deduplication), measured with restic's own
# figures: `restic stats --mode raw-data` (the bytes the repository
# stores, after dedup and restic's compression) before and after each
# export, beside the archive's size.
#
#   1st vol:export            (everything is new)
#   2nd vol:export, unchanged (what this issue promises: < 5 % of the volume)
#   3rd vol:export, 1 file of the volume rewritten (about 1 % of it)
#   with KOMPOSE_AGE_RECIPIENTS_FILE: two exports of the unchanged volume
#     (age's output is new random-looking bytes each time: nothing dedups)
#
# The volume (BENCH_SIZE_MB, default 1024, of incompressible files of
# 10 MB, in a named volume of a throwaway stack k22b-bench-<pid>), the
# repository and the keys live in a temporary folder; all are removed at
# the end. Wall time and peak memory of each kompose run: /usr/bin/time.
#
#   scripts/bench-vol-offsite.sh
#   BENCH_SIZE_MB=200 scripts/bench-vol-offsite.sh
set -euo pipefail

size_mb=${BENCH_SIZE_MB:-1024}
image=${BENCH_IMAGE:-kompose-test/debian:bookworm}
here=$(cd "$(dirname "$0")/.." && pwd)
for p in restic age-keygen docker /usr/bin/time; do
  command -v "$p" >/dev/null || { echo "missing $p (scripts/install-deps.sh)" >&2; exit 1; }
done

kw=$(mktemp -d /tmp/kompose-bench-vol-offsite.XXXXXX)
project=k22b-bench-$$
cleanup() {
  (cd "$kw/root/bench" 2>/dev/null && docker compose -p "$project" down -v -t 1 >/dev/null 2>&1) || true
  rm -rf "$kw"
}
trap cleanup EXIT

(cd "$here" && go build -o "$kw/kompose" ./cmd/kompose)
mkdir -p "$kw/root/bench"
cat >"$kw/root/bench/compose.yaml" <<YAML
name: $project
services:
  app:
    image: $image
    pull_policy: never
    network_mode: none
    stop_grace_period: 1s
    command: ["bash", "-c", "trap 'exit 0' TERM; sleep infinity & wait"]
    volumes: [data:/data]
volumes:
  data: {}
YAML
export RESTIC_REPOSITORY=$kw/repo RESTIC_PASSWORD=bench-restic XDG_CACHE_HOME=$kw/cache
printf 'RESTIC_REPOSITORY=%s\nRESTIC_PASSWORD=bench-restic\nXDG_CACHE_HOME=%s\n' "$kw/repo" "$kw/cache" >"$kw/root/bench/.env"
restic init >/dev/null
age-keygen -o "$kw/key.txt" 2>/dev/null
age-keygen -y "$kw/key.txt" >"$kw/recipients.txt"

k() { "$kw/kompose" --root "$kw/root" "$@"; }
k bench up -d >/dev/null 2>&1
files=$((size_mb / 10))
echo "filling the volume: $files files of 10 MB of random bytes ..."
docker compose -p "$project" -f "$kw/root/bench/compose.yaml" exec -T app bash -c \
  "for i in \$(seq 1 $files); do head -c 10485760 /dev/urandom > /data/f\$i; done"

raw() { restic stats --mode raw-data --json | sed -n 's/.*"total_size":\([0-9]*\).*/\1/p'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1e6 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f %%", 100 * a / b }'; }
volume=$((files * 10485760))
row() { # label
  local before after t archive
  before=$(raw)
  /usr/bin/time -f '%e %M' -o "$kw/time" "$kw/kompose" --root "$kw/root" bench vol:export >"$kw/out" 2>&1 || { cat "$kw/out"; exit 1; }
  after=$(raw)
  archive=$(ls -t "$kw/root/bench/backups/"data_* | grep -v manifest | head -1)
  read -r secs kb <"$kw/time"
  printf '| %s | %s | %s | %s | %ss | %d MB |\n' "$1" "$(mb "$(stat -c %s "$archive")")" "$(mb $((after - before)))" "$(pct $((after - before)) "$volume")" "$secs" $((kb / 1024))
}
echo
echo "volume: $(mb "$volume") in $files files; restic $(restic version | awk '{print $2}')"
echo
echo '| vol:export | archive | added to the repository (raw-data) | of the volume | wall | peak RSS (largest of kompose and restic) |'
echo '|---|---|---|---|---|---|'
row "1st (all new)"
row "2nd, volume unchanged"
docker compose -p "$project" -f "$kw/root/bench/compose.yaml" exec -T app bash -c "head -c 10485760 /dev/urandom > /data/f1"
row "3rd, one 10 MB file rewritten"
echo "KOMPOSE_AGE_RECIPIENTS_FILE=$kw/recipients.txt" >>"$kw/root/bench/.env"
row "4th, with age (.tar.zst.age)"
row "5th, with age, volume unchanged"
