#!/usr/bin/env bash
# Benchmark of kompose db:export against a plain `pg_dump > file` (and, for
# MariaDB, `mariadb-dump > file`).
#
# Starts a throwaway PostgreSQL server, loads a database of about
# BENCH_SIZE_MB (default 1024) MB with generate_series, then times, in one
# run:
#   pg_dump > file                      (the baseline)
#   kompose db:export                   (plain SQL)
#   pg_dump | gzip -6 > file            (what a shell script would do)
#   kompose db:export --compress gzip
#   pg_dump | zstd -3 > file
#   kompose db:export --compress zstd
# and reports wall time, output size, and peak memory: the peak RSS of
# kompose's own process (VmHWM from /proc, sampled until it exits), and the
# largest peak RSS of any process of the command (GNU time's %M: pg_dump
# included).
#
# Then the same for MariaDB (BENCH_ENGINES, default "postgres mariadb"): a
# throwaway mariadbd (its own data folder, socket and loopback port, stopped
# by PID), the same table, and
#   mariadb-dump > file                 (the baseline, kompose's options)
#   kompose db:export
#   mariadb-dump | zstd -3 > file
#   kompose db:export --compress zstd
#   (and gzip the same way)
#
#   scripts/bench-db.sh            # ~1 GB, takes a few minutes
#   BENCH_SIZE_MB=100 scripts/bench-db.sh
#   BENCH_ENGINES=mariadb BENCH_SIZE_MB=256 scripts/bench-db.sh
#
# Needs the PostgreSQL and MariaDB server binaries and GNU time:
# scripts/install-deps.sh installs them.
set -euo pipefail

size_mb=${BENCH_SIZE_MB:-1024}
repeat=${BENCH_REPEAT:-2}
here=$(cd "$(dirname "$0")/.." && pwd)

engines=${BENCH_ENGINES:-postgres mariadb}
[[ -x /usr/bin/time ]] || { echo "no GNU time (/usr/bin/time): run scripts/install-deps.sh" >&2; exit 1; }
work=$(mktemp -d /tmp/kompose-bench.XXXXXX)
chmod 755 "$work"
mypid=
cleanup() {
  if [[ -n ${bindir:-} && -d $work/data ]]; then
    "${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [[ -n $mypid ]]; then
    kill "$mypid" 2>/dev/null && wait "$mypid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
echo "building kompose ..."
(cd "$here" && go build -o "$work/kompose" ./cmd/kompose)
all_results=()

# measure LABEL COMMAND...: wall time, output size, peak RSS.
measure() {
  local label=$1
  shift
  rm -f "$work"/out/* "$work/out/".[!.]* 2>/dev/null || true
  sync
  local hwm_file=$work/hwm
  : >"$hwm_file"
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >>"$work/commands.log" 2>&1 &
  local tpid=$!
  # Sample kompose's own peak RSS (VmHWM) while it runs.
  (
    hwm=0
    while kill -0 "$tpid" 2>/dev/null; do
      for p in $(pgrep -P "$tpid" 2>/dev/null); do
        if [[ $(cat "/proc/$p/comm" 2>/dev/null) == kompose ]]; then
          v=$(awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
          ((v > hwm)) && hwm=$v && echo "$hwm" >"$hwm_file"
        fi
      done
      sleep 0.05
    done
  ) &
  local spid=$!
  wait "$tpid"
  wait "$spid" || true
  local secs maxrss own bytes
  read -r secs maxrss <"$work/time"
  own=$(cat "$hwm_file")
  bytes=$(du -cb "$work"/out/* | tail -1 | cut -f1)
  results+=("$(printf '%-36s %8.2f s %10s %14s %16s' "$label" "$secs" "$(numfmt --to=iec "$bytes")" "${own:+$((own / 1024)) MB}" "$((maxrss / 1024)) MB")")
  echo "${results[-1]}"
}


bench_mariadb() {
  local mydata=$work/mydata sock=$work/my.sock myport=$((20000 + RANDOM % 20000))
  command -v mariadbd >/dev/null 2>&1 || [[ -x /usr/sbin/mariadbd ]] || { echo "no MariaDB server: run scripts/install-deps.sh" >&2; exit 1; }
  local user
  user=$(id -un)
  mariadb-install-db --no-defaults --auth-root-authentication-method=normal --datadir="$mydata" --user="$user" --skip-test-db >/dev/null
  PATH=$PATH:/usr/sbin mariadbd --no-defaults --datadir="$mydata" --socket="$sock" --port="$myport" --bind-address=127.0.0.1 \
    --user="$user" --skip-log-bin --skip-name-resolve --innodb-buffer-pool-size=512M --innodb-log-file-size=256M \
    --innodb-flush-log-at-trx-commit=0 >"$work/my.log" 2>&1 &
  mypid=$!
  local i
  for ((i = 0; i < 120; i++)); do
    mariadb --no-defaults -S "$sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.5
  done
  mariadb --no-defaults -S "$sock" -uroot <<SQL
DROP USER IF EXISTS ''@'localhost';
CREATE USER bench@'%' IDENTIFIED BY 'bench-password';
GRANT ALL ON *.* TO bench@'%';
CREATE DATABASE bench CHARACTER SET utf8mb4;
SQL
  # About 150 bytes per row on disk, as for PostgreSQL.
  local rows=$((size_mb * 1024 * 1024 / 150)) t0=$SECONDS
  echo "loading about ${size_mb} MB ($rows rows) into MariaDB ..."
  mariadb --no-defaults -S "$sock" -uroot bench <<SQL
CREATE TABLE events (
  id BIGINT PRIMARY KEY,
  at DATETIME NOT NULL,
  kind VARCHAR(16) NOT NULL,
  payload VARCHAR(80) NOT NULL,
  amount DECIMAL(12,2) NOT NULL
) ENGINE=InnoDB;
INSERT INTO events
SELECT seq, '2024-01-01' + INTERVAL seq SECOND, ELT(1 + seq % 5, 'signup','login','purchase','refund','logout'),
       CONCAT(MD5(seq), ' ', MD5(seq * 7)), (seq % 100000) / 100
FROM seq_1_to_$rows;
ANALYZE TABLE events;
SQL
  local dbsize
  dbsize=$(mariadb --no-defaults -S "$sock" -uroot -N -e "SELECT CONCAT(ROUND(SUM(data_length + index_length) / 1048576), ' MB') FROM information_schema.TABLES WHERE table_schema = 'bench'")
  echo "database bench: $dbsize, loaded in $((SECONDS - t0))s"
  local root=$work/mystacks
  mkdir -p "$root/bench" "$work/out"
  printf 'services:\n  app: {image: nginx}\n' >"$root/bench/compose.yaml"
  printf 'DB_ENGINE=mariadb\nDB_NAME=bench\nDB_USER=bench\nDB_PASSWORD=bench-password\nDB_HOST=127.0.0.1\nDB_PORT=%s\nDB_DUMP_DIR=%s\n' "$myport" "$work/out" >"$root/bench/.env"
  export myport
  mydump() { MYSQL_PWD=bench-password mariadb-dump -h 127.0.0.1 -P "$myport" -u bench --single-transaction --quick --routines --triggers --events --hex-blob --default-character-set=utf8mb4 --no-tablespaces bench; }
  export -f mydump
  results=()
  echo
  printf '%-36s %10s %10s %14s %16s\n' "command" "time" "size" "kompose RSS" "max RSS (any)"
  for ((i = 1; i <= repeat; i++)); do
    measure "mariadb-dump > file" bash -c 'mydump > "$0"/out/plain.sql' "$work"
    measure "kompose db:export (mariadb)" "$work/kompose" --root "$root" bench db:export --no-progress
  done
  measure "mariadb-dump | gzip > file" bash -c 'set -o pipefail; mydump | gzip -6 > "$0"/out/plain.sql.gz' "$work"
  measure "kompose db:export --compress gzip" "$work/kompose" --root "$root" bench db:export --no-progress --compress gzip
  measure "mariadb-dump | zstd > file" bash -c 'set -o pipefail; mydump | zstd -q -3 > "$0"/out/plain.sql.zst' "$work"
  measure "kompose db:export --compress zstd" "$work/kompose" --root "$root" bench db:export --no-progress --compress zstd
  all_results+=("MariaDB $(mariadb --version | awk '{print $5}' | tr -d ,); database $dbsize" "${results[@]}")
}

bench_postgres() {
bindir=""
if command -v initdb >/dev/null 2>&1; then
  bindir=$(dirname "$(readlink -f "$(command -v initdb)")")
else
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
[[ -x $bindir/initdb ]] || { echo "no PostgreSQL server binaries: run scripts/install-deps.sh" >&2; exit 1; }

as_pg=()
if ((EUID == 0)); then
  chown postgres "$work"
  as_pg=(runuser -u postgres --)
fi
port=$((20000 + RANDOM % 20000))
export PGPASSWORD=bench-password

echo "$PGPASSWORD" >"$work/pw"
chmod 644 "$work/pw"
"${as_pg[@]}" "$bindir/initdb" -D "$work/data" -U bench --pwfile "$work/pw" -A scram-sha-256 -E UTF8 --locale C --no-sync >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$work -c fsync=off -c synchronous_commit=off -c max_wal_size=4GB -c shared_buffers=256MB" start >/dev/null

psql_() { psql -X -q -h 127.0.0.1 -p "$port" -U bench "$@"; }
psql_ -d postgres -c "CREATE DATABASE bench"
# About 150 bytes per row on disk (with the primary key): rows = size / 150.
rows=$((size_mb * 1024 * 1024 / 150))
echo "loading about ${size_mb} MB ($rows rows) ..."
t0=$SECONDS
psql_ -d bench <<SQL
CREATE TABLE events (
  id bigint PRIMARY KEY,
  at timestamptz NOT NULL,
  kind text NOT NULL,
  payload text NOT NULL,
  amount numeric(12,2) NOT NULL
);
INSERT INTO events
SELECT i,
       timestamptz '2024-01-01' + i * interval '1 second',
       (ARRAY['signup','login','purchase','refund','logout'])[1 + i % 5],
       md5(i::text) || ' ' || md5((i * 7)::text),
       (i % 100000) / 100.0
FROM generate_series(1, $rows) AS i;
VACUUM ANALYZE events;
SQL
dbsize=$(psql_ -At -d bench -c "SELECT pg_size_pretty(pg_database_size('bench'))")
echo "database bench: $dbsize, loaded in $((SECONDS - t0))s"

root=$work/stacks
mkdir -p "$root/bench" "$work/out"
printf 'services:\n  app: {image: nginx}\n' >"$root/bench/compose.yaml"
printf 'DB_NAME=bench\nDB_USER=bench\nDB_PASSWORD=%s\nDB_HOST=127.0.0.1\nDB_PORT=%s\nDB_DUMP_DIR=%s\n' "$PGPASSWORD" "$port" "$work/out" >"$root/bench/.env"
unset PGPASSWORD # kompose must take it from the stack's .env
export PGPASSWORD_BENCH=bench-password

results=()
dump() { PGPASSWORD=$PGPASSWORD_BENCH pg_dump -h 127.0.0.1 -p "$port" -U bench -w -d bench; }
export -f dump
export port

echo
printf '%-36s %10s %10s %14s %16s\n' "command" "time" "size" "kompose RSS" "max RSS (any)"
for ((i = 1; i <= repeat; i++)); do
  measure "pg_dump > file" bash -c 'dump > "$0"/out/plain.sql' "$work"
  measure "kompose db:export" "$work/kompose" --root "$root" bench db:export --no-progress
done
measure "pg_dump | gzip > file" bash -c 'set -o pipefail; dump | gzip -6 > "$0"/out/plain.sql.gz' "$work"
measure "kompose db:export --compress gzip" "$work/kompose" --root "$root" bench db:export --no-progress --compress gzip
measure "pg_dump | zstd > file" bash -c 'set -o pipefail; dump | zstd -q -3 > "$0"/out/plain.sql.zst' "$work"
measure "kompose db:export --compress zstd" "$work/kompose" --root "$root" bench db:export --no-progress --compress zstd

all_results+=("PostgreSQL $("$bindir/postgres" --version | awk '{print $3}'); database $dbsize" "${results[@]}")
}

for engine in $engines; do
  case $engine in
  postgres) bench_postgres ;;
  mariadb) bench_mariadb ;;
  *) echo "unknown engine $engine in BENCH_ENGINES" >&2; exit 2 ;;
  esac
done

echo
echo "machine: $(nproc) CPU, $(awk '/MemTotal/ {printf "%.0f GB", $2/1024/1024}' /proc/meminfo), $(uname -sr)"
printf '%-36s %10s %10s %14s %16s\n' "command" "time" "size" "kompose RSS" "max RSS (any)"
printf '%s\n' "${all_results[@]}"
