#!/usr/bin/env bash
# Provision this machine for the kompose tests: the Docker Compose v2 plugin
# (scripts/provision-compose.sh), then the local test images
# (scripts/build-images.sh). Idempotent; a re-run on a provisioned machine
# takes about a second.
#
# Usage: scripts/provision.sh [--verify]
#   --verify  also smoke-test the result (scripts/build-images.sh --verify and
#             scripts/verify-provision.sh: compose up/ps/logs/exec/down)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

verify=false
case ${1:-} in
"") ;;
--verify) verify=true ;;
*)
	printf 'usage: %s [--verify]\n' "$0" >&2
	exit 2
	;;
esac

log() { printf '[provision] %s\n' "$*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

t_start=$(now)
"$here/provision-compose.sh"
if $verify; then
	"$here/build-images.sh" --verify
	"$here/verify-provision.sh"
else
	"$here/build-images.sh"
fi
log "done in $(since "$t_start")"
