#!/usr/bin/env bash
# Benchmark of db:export with an offsite copy (restic) and encryption
# (age), side by side with the shell pipelines a user would otherwise
# write, as whole processes in paired runs (A B A B ...):
#
#   kompose db:export --compress zstd              (RESTIC_* in the stack's .env)
#     vs  pg_dump | zstd -3 | tee FILE | restic backup --stdin
#   kompose db:export --compress zstd              (+ KOMPOSE_AGE_RECIPIENTS_FILE)
#     vs  pg_dump | zstd -3 | age -R recipients | tee FILE | restic backup --stdin
#   kompose db:export --compress zstd              (offsite)
#     vs  kompose db:export --compress zstd --no-offsite
#
# Starts a throwaway PostgreSQL server with a database of about
# BENCH_SIZE_MB (default 200) MB, a local restic repository and an age key
# in a temporary folder, all removed at the end. The timing tool is the
# paired-run timer on PATH (BENCH_TIMER, default farm-bench).
#
#   scripts/bench-offsite.sh
#   BENCH_SIZE_MB=50 BENCH_RUNS=3 scripts/bench-offsite.sh
set -euo pipefail

size_mb=${BENCH_SIZE_MB:-200}
runs=${BENCH_RUNS:-3}
timer=${BENCH_TIMER:-farm-bench}
here=$(cd "$(dirname "$0")/.." && pwd)

for p in restic age age-keygen zstd "$timer"; do
  command -v "$p" >/dev/null || { echo "missing $p (scripts/install-deps.sh)" >&2; exit 1; }
done
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $bindir/initdb ]] || { echo "no PostgreSQL server binaries: run scripts/install-deps.sh" >&2; exit 1; }

work=$(mktemp -d /tmp/kompose-bench-offsite.XXXXXX)
chmod 755 "$work"
as_pg=()
if ((EUID == 0)); then
  chown postgres "$work"
  as_pg=(runuser -u postgres --)
fi
port=$((20000 + RANDOM % 20000))
# kompose's side (stacks, dumps, repository, keys) in a folder of the
# invoking user's own: the trust rule refuses one the postgres account owns.
kw=$(mktemp -d /tmp/kompose-bench-offsite-k.XXXXXX)
cleanup() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work" "$kw"
}
trap cleanup EXIT

echo bench-password >"$work/pw"
chmod 644 "$work/pw"
"${as_pg[@]}" "$bindir/initdb" -D "$work/data" -U bench --pwfile "$work/pw" -A scram-sha-256 -E UTF8 --locale C --no-sync >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$work -c fsync=off -c synchronous_commit=off -c shared_buffers=128MB" start >/dev/null
export PGPASSWORD=bench-password
psql_() { psql -X -q -h 127.0.0.1 -p "$port" -U bench "$@"; }
psql_ -d postgres -c "CREATE DATABASE bench"
rows=$((size_mb * 1024 * 1024 / 150))
echo "loading about ${size_mb} MB ($rows rows) ..."
psql_ -d bench <<SQL
CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL, kind text NOT NULL, payload text NOT NULL, amount numeric(12,2) NOT NULL);
INSERT INTO events
SELECT i, timestamptz '2024-01-01' + i * interval '1 second', (ARRAY['signup','login','purchase','refund','logout'])[1 + i % 5],
       md5(i::text) || ' ' || md5((i * 7)::text), (i % 100000) / 100.0
FROM generate_series(1, $rows) AS i;
VACUUM ANALYZE events;
SQL
echo "database: $(psql_ -At -d bench -c "SELECT pg_size_pretty(pg_database_size('bench'))")"

(cd "$here" && go build -o "$kw/kompose" ./cmd/kompose)
export RESTIC_REPOSITORY=$kw/repo RESTIC_PASSWORD=bench-restic XDG_CACHE_HOME=$kw/cache
restic init >/dev/null
age-keygen -o "$kw/key.txt" 2>/dev/null
age-keygen -y "$kw/key.txt" >"$kw/recipients.txt"
mkdir -p "$kw/stacks/plain" "$kw/stacks/crypt" "$kw/out"
for s in plain crypt; do
  printf 'services:\n  app: {image: nginx}\n' >"$kw/stacks/$s/compose.yaml"
  printf 'DB_NAME=bench\nDB_USER=bench\nDB_PASSWORD=bench-password\nDB_HOST=127.0.0.1\nDB_PORT=%s\nDB_DUMP_DIR=%s\n' "$port" "$kw/out/$s" >"$kw/stacks/$s/.env"
done
echo "KOMPOSE_AGE_RECIPIENTS_FILE=$kw/recipients.txt" >>"$kw/stacks/crypt/.env"

# The shell pipelines: each removes its output first, like kompose writes a new file.
cat >"$kw/pipe.sh" <<SH
#!/bin/bash
set -euo pipefail
mkdir -p $kw/out/sh
f=$kw/out/sh/bench_\$(date +%Y%m%d_%H%M%S%N).sql.zst
if [[ \${1:-} == age ]]; then
  pg_dump -h 127.0.0.1 -p $port -U bench -w -d bench | zstd -q -3 | age -R $kw/recipients.txt | tee "\$f.age" |
    restic backup -q --stdin --stdin-filename "\$(basename "\$f").age" --tag kompose --host bench >/dev/null
else
  pg_dump -h 127.0.0.1 -p $port -U bench -w -d bench | zstd -q -3 | tee "\$f" |
    restic backup -q --stdin --stdin-filename "\$(basename "\$f")" --tag kompose --host bench >/dev/null
fi
rm -f $kw/out/sh/*
SH
chmod +x "$kw/pipe.sh"
# kompose, removing its dump after each run (the folder stays small).
cat >"$kw/kompose.sh" <<SH
#!/bin/bash
set -e
$kw/kompose --root $kw/stacks "\$@" >>$kw/kompose.log 2>&1
rm -f $kw/out/*/bench_*
SH
chmod +x "$kw/kompose.sh"

to=$((runs * 200 + 200))
echo; echo "== offsite: kompose db:export --compress zstd  vs  pg_dump | zstd | tee | restic backup --stdin"
"$timer" -n "$runs" --timeout "$to" --vs "$kw/pipe.sh" -- "$kw/kompose.sh" plain db:export --compress zstd --no-progress
echo; echo "== offsite + age: kompose (KOMPOSE_AGE_RECIPIENTS_FILE)  vs  pg_dump | zstd | age | tee | restic backup --stdin"
"$timer" -n "$runs" --timeout "$to" --vs "$kw/pipe.sh age" -- "$kw/kompose.sh" crypt db:export --compress zstd --no-progress
echo; echo "== the offsite copy's cost: kompose db:export --compress zstd  vs  the same --no-offsite"
"$timer" -n "$runs" --timeout "$to" --vs "$kw/kompose.sh plain db:export --compress zstd --no-progress --no-offsite" -- "$kw/kompose.sh" plain db:export --compress zstd --no-progress
grep -m3 -i 'error\|failed' "$kw/kompose.log" || true
echo; echo "repository: $(du -sh "$kw/repo" | cut -f1) after all runs (restic deduplicates the unchanged dumps)"
