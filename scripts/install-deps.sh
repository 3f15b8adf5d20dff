#!/usr/bin/env bash
# Installs the Debian packages the tests use when they are missing: bash
# (hooks), python3 (a hook in another language), gzip and zstd (checking
# dumps with the standard tools), the PostgreSQL server and client (database
# tests), GNU time (peak memory in scripts/bench-db.sh), mmdebstrap (local
# images), the OpenSSH server and client (stacks on another host over
# ssh:// in the end-to-end suite: the tests start their own sshd on a
# loopback port, never the system's service), docker-registry (a local
# registry for the update tests, started by the tests on a loopback port,
# never as a service). Idempotent: installs nothing when all
# are there. Needs root (or sudo) only when something is missing.
set -euo pipefail

want=(bash python3 gzip zstd procps time postgresql postgresql-client mmdebstrap openssh-server openssh-client docker-registry)
have() { # have PACKAGE: installed?
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}
missing=()
for p in "${want[@]}"; do have "$p" || missing+=("$p"); done
if ((${#missing[@]} == 0)); then
  echo "system packages: all present"
  exit 0
fi
echo "installing: ${missing[*]}"
sudo=()
((EUID == 0)) || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
