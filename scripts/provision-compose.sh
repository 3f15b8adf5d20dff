#!/usr/bin/env bash
# Make `docker compose` (the Compose v2 CLI plugin) available. When
# `docker compose version` fails, build the plugin with the Go toolchain from
# the Go module proxy, using the pinned tools module in scripts/compose-plugin/
# (go.mod + go.sum), and install it as
# ${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins/docker-compose.
#
# The build uses the normal Go caches (GOMODCACHE, GOCACHE), so a rebuild is
# quick once they are warm.
#
# Usage: scripts/provision-compose.sh [--force]
#   --force   build and install the pinned version even if `docker compose` works
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
module_dir=$here/compose-plugin
compose_pkg=github.com/docker/compose/v2
plugin_dir=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
plugin=$plugin_dir/docker-compose

force=false
case ${1:-} in
"") ;;
--force) force=true ;;
*)
	printf 'usage: %s [--force]\n' "$0" >&2
	exit 2
	;;
esac

log() { printf '[provision-compose] %s\n' "$*"; }
die() {
	printf '[provision-compose] error: %s\n' "$*" >&2
	exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

t_start=$(now)
command -v docker >/dev/null 2>&1 || die "the docker CLI is not installed"

if ! $force && version=$(docker compose version --short 2>/dev/null); then
	log "docker compose $version is available, skipping"
	exit 0
fi

# Serialise concurrent runs; re-check once we hold the lock.
exec 9>"${TMPDIR:-/tmp}/kompose-provision-compose.lock"
if ! flock -n 9; then
	log "waiting for another provision-compose run to finish"
	flock 9
	if ! $force && version=$(docker compose version --short 2>/dev/null); then
		log "docker compose $version is available, skipping"
		exit 0
	fi
fi

# The pinned version is the one in the tools module's go.mod.
compose_version=$(awk -v m="$compose_pkg" '$1 == m { print $2; exit }' "$module_dir/go.mod")
[[ $compose_version == v2.* ]] || die "cannot find the $compose_pkg version in $module_dir/go.mod"

go_bin=$(command -v go || true)
if [[ -z $go_bin && -x /usr/local/go/bin/go ]]; then
	go_bin=/usr/local/go/bin/go
fi
[[ -n $go_bin ]] || die "the Go toolchain is not installed (go not in PATH or /usr/local/go/bin)"

log "building docker compose $compose_version with $("$go_bin" env GOVERSION) (cold: several minutes; modules: $("$go_bin" env GOMODCACHE), build cache: $("$go_bin" env GOCACHE))"
mkdir -p "$plugin_dir"
# Build next to the target (dot name: not a plugin candidate), then rename.
tmp=$(mktemp "$plugin_dir/.docker-compose.XXXXXX")
build_log=$(mktemp "${TMPDIR:-/tmp}/kompose-compose-build.XXXXXX")
trap 'rm -f "$tmp" "$build_log"' EXIT
t0=$(now)
if ! (
	cd "$module_dir"
	# GOWORK=off: a go.work elsewhere in the repository must not capture this
	# module; -mod=readonly: go.mod/go.sum are committed and must not change.
	GOWORK=off GOFLAGS="${GOFLAGS:-} -mod=readonly" "$go_bin" build -trimpath \
		-ldflags "-s -w -X $compose_pkg/internal.Version=$compose_version" \
		-o "$tmp" "$compose_pkg/cmd"
) 2>"$build_log"; then
	cat "$build_log" >&2
	die "go build failed"
fi
downloads=$(grep -c '^go: downloading ' "$build_log" || true)
grep -v '^go: downloading ' "$build_log" >&2 || true
log "built in $(since "$t0") ($downloads modules downloaded from $("$go_bin" env GOPROXY))"

chmod 0755 "$tmp"
mv -f "$tmp" "$plugin"
log "installed $plugin"

version=$(docker compose version --short) || die "docker compose version fails with the freshly built plugin"
[[ v${version#v} == "$compose_version" ]] || die "docker compose reports $version, expected $compose_version (another plugin takes precedence?)"
log "docker compose $version is available (done in $(since "$t_start"))"
