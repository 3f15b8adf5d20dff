#!/usr/bin/env bash
# Runs kompose on the bundled demo stacks (stacks/) against the real Docker
# Engine: builds kompose and, when missing, the Compose v2 plugin and the
# local Debian image the stacks use (no registry is needed), then shows
# --list, a dry run, up, ps, logs, a database export and import, and down.
set -euo pipefail
cd "$(dirname "$0")/.."

go build -o bin/kompose ./cmd/kompose
scripts/provision.sh >&2
k=bin/kompose
source scripts/lib/show.sh
# run CMD...: prints the command as it must be typed, then runs it.
run() { printf '\n'; show_cmd "$@"; "$@"; }

run $k --list
run $k '*' up -d --dry-run
run $k '*' up -d
run $k '*' ps
sleep 4
run $k clock logs --tail 3
run $k -e WHO=readers greeter up -d --force-recreate
sleep 1
run $k greeter logs --tail 1
run $k notes db:export --compress zstd
run $k notes db:list
run $k notes db:import
run $k notes db:cleanup --keep 1
run $k '*' down -v
