#!/usr/bin/env bash
# Installs the Debian packages the tests use when they are missing: bash
# (hooks), python3 (a hook in another language), gzip and zstd (checking
# dumps with the standard tools), the PostgreSQL server and client (database
# tests), GNU time (peak memory in scripts/bench-db.sh), mmdebstrap (local
# images), the OpenSSH server and client (stacks on another host over
# ssh:// in the end-to-end suite), docker-registry (a local registry for the
# update tests), iproute2 (ss, for the check below), mariadb-server and
# mariadb-client (MariaDB tests), restic and age (offsite copies and
# encryption of backups), zsh and fish (the completion scripts, driven in
# the shells they are for).
#
# No service is enabled or started: the tests start their own sshd,
# registry and PostgreSQL, as children, on loopback ports. Packages are
# installed with a policy-rc.d that refuses every start (exit 101), and
# afterwards every unit (systemd) or init script (SysV) of every package
# this script installed, dependencies included, is disabled and, when it
# runs, stopped. The packages it installed are recorded in
# /var/lib/kompose-test/installed-packages; every run (also when nothing is
# missing) disables their services again and checks: no unit of theirs is
# enabled, and nothing listens on a non-loopback address that did not
# before. Idempotent: a second run installs and changes nothing. Needs root
# (or sudo) only when something is missing or to be disabled. A service of
# a package that was already installed (your own sshd) is never touched.
# README.md, "What the test command changes on the machine", says all this
# for users.
set -euo pipefail

want=(bash python3 gzip zstd procps time iproute2 postgresql postgresql-client mmdebstrap openssh-server openssh-client docker-registry mariadb-server mariadb-client restic age zsh fish)
state_dir=/var/lib/kompose-test
state=$state_dir/installed-packages
policy=/usr/sbin/policy-rc.d

sudo=()
((EUID == 0)) || sudo=(sudo)

have() { # have PACKAGE: installed?
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}
installed() { # every installed package, one a line
  dpkg-query -W -f='${Status} ${Package}\n' | awk '$3 == "installed" {print $4}' | sort -u
}
listeners() { # TCP/UDP addresses listened on, loopback left out
  command -v ss >/dev/null || return 0
  ss -Htuln 2>/dev/null | awk '{print $5}' | grep -vE '^(127\.[0-9.]+|\[::1\]|::1|\[::ffff:127\.[0-9.]+\]):' | sort -u || true
}
systemd_running() { [[ -d /run/systemd/system ]]; }

# units PACKAGE: the systemd units and SysV init scripts it ships, as
# "unit NAME" and "init NAME" lines (templates, NAME@.service, are
# enabled only through an instance, which the plain unit wants).
units() {
  dpkg-query -L "$1" 2>/dev/null | while read -r f; do
    case $f in
    /lib/systemd/system/*@.* | /usr/lib/systemd/system/*@.*) ;;
    /lib/systemd/system/*.service | /lib/systemd/system/*.socket | /lib/systemd/system/*.timer | /lib/systemd/system/*.path | \
      /usr/lib/systemd/system/*.service | /usr/lib/systemd/system/*.socket | /usr/lib/systemd/system/*.timer | /usr/lib/systemd/system/*.path)
      echo "unit ${f##*/}" ;;
    /etc/init.d/*) echo "init ${f##*/}" ;;
    esac
  done
}

# quiet PACKAGE...: disable (and stop, when running) every service the
# packages ship.
quiet() {
  local p kind name
  for p in "$@"; do
    have "$p" || continue
    while read -r kind name; do
      if [[ $kind == unit ]] && command -v systemctl >/dev/null; then
        if [[ $(systemctl is-enabled "$name" 2>/dev/null || true) == enabled ]]; then
          echo "disabling $name (package $p)"
          "${sudo[@]}" systemctl disable --quiet "$name" 2>/dev/null || "${sudo[@]}" systemctl disable "$name"
        fi
        if systemd_running && systemctl is-active --quiet "$name"; then
          echo "stopping $name (package $p)"
          "${sudo[@]}" systemctl stop "$name"
        fi
      elif [[ $kind == init ]] && ! command -v systemctl >/dev/null; then
        # Without systemd nothing was started (policy-rc.d), and an init
        # script's "status" is no reliable sign of a daemon (procps
        # says 0): a daemon started otherwise is caught by verify's
        # listener check.
        if compgen -G "/etc/rc[2-5].d/S??$name" >/dev/null; then
          echo "disabling init script $name (package $p)"
          "${sudo[@]}" update-rc.d "$name" disable >/dev/null
        fi
      fi
    done < <(units "$p")
  done
}

# verify BEFORE: no unit of a recorded package enabled, nothing new
# listening beyond loopback.
verify() {
  local before=$1 problems=() p kind name now addr
  while read -r p; do
    [[ -n $p ]] || continue
    have "$p" || continue
    while read -r kind name; do
      if [[ $kind == unit ]] && command -v systemctl >/dev/null &&
        [[ $(systemctl is-enabled "$name" 2>/dev/null || true) == enabled ]]; then
        problems+=("unit $name of $p is still enabled (systemctl disable $name)")
      fi
    done < <(units "$p")
  done < <(cat "$state" 2>/dev/null || true)
  now=$(listeners)
  while read -r addr; do
    [[ -n $addr ]] || continue
    grep -qxF "$addr" <<<"$before" || problems+=("something new listens on $addr (ss -tulnp)")
  done <<<"$now"
  if ((${#problems[@]} > 0)); then
    printf 'install-deps: %s\n' "${problems[@]}" >&2
    exit 1
  fi
}

before=$(listeners)
missing=()
for p in "${want[@]}"; do have "$p" || missing+=("$p"); done
if ((${#missing[@]} == 0)); then
  echo "system packages: all present"
else
  echo "installing: ${missing[*]}"
  pkgs_before=$(installed)
  # Refuse every service start while the packages install (invoke-rc.d
  # and deb-systemd-invoke ask policy-rc.d); a policy-rc.d already there
  # is put back afterwards.
  saved=
  if [[ -e $policy ]]; then
    saved=$policy.kompose-saved
    "${sudo[@]}" mv "$policy" "$saved"
  fi
  restore() {
    "${sudo[@]}" rm -f "$policy"
    if [[ -n $saved ]]; then "${sudo[@]}" mv "$saved" "$policy"; fi
  }
  trap restore EXIT
  printf '#!/bin/sh\n# kompose scripts/install-deps.sh: no service starts while packages install\nexit 101\n' |
    "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 0755 "$policy"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  restore
  trap - EXIT
  # Record what this run installed, dependencies included.
  "${sudo[@]}" mkdir -p "$state_dir"
  { cat "$state" 2>/dev/null || true; comm -13 <(echo "$pkgs_before") <(installed); } | sort -u |
    "${sudo[@]}" tee "$state.new" >/dev/null
  "${sudo[@]}" mv "$state.new" "$state"
  echo "installed: ${missing[*]} (with dependencies: $state)"
fi
if [[ -s $state ]]; then
  mapfile -t ours <"$state"
  quiet "${ours[@]}"
fi
verify "$before"
echo "system packages: no service of theirs enabled or started"
