#!/usr/bin/env bash
# Installs what kompose's database tests and benchmark need, when missing:
# the PostgreSQL server and client (Debian/Ubuntu package "postgresql"),
# GNU time (peak memory in scripts/bench-db.sh) and the zstd tool (to check
# that dumps read with the standard tools). Idempotent: installs nothing
# when everything is there. Run as root (or with sudo available).
set -euo pipefail

have_server() {
  command -v initdb >/dev/null 2>&1 && return 0
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

pkgs=()
have_server || pkgs+=(postgresql)
command -v psql >/dev/null 2>&1 || pkgs+=(postgresql-client)
command -v pg_dump >/dev/null 2>&1 || pkgs+=(postgresql-client)
[[ -x /usr/bin/time ]] || pkgs+=(time)
command -v zstd >/dev/null 2>&1 || pkgs+=(zstd)
command -v gzip >/dev/null 2>&1 || pkgs+=(gzip)

if ((${#pkgs[@]} == 0)); then
  echo "provision-postgres-server: everything is installed"
  exit 0
fi

sudo=()
((EUID == 0)) || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
# The package's own cluster is not needed: the tests start throwaway ones.
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
echo "provision-postgres-server: installed ${pkgs[*]}"
