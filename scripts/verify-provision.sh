#!/usr/bin/env bash
# Smoke-test a provisioned machine: `docker compose` up -d --wait / ps / logs /
# exec -T / down against the local images from scripts/build-images.sh
# (a debian service that depends on a healthy postgres service).
# Leaves no containers, networks or volumes behind.
#
# Usage: scripts/verify-provision.sh
# Environment: KOMPOSE_IMAGE_PREFIX (default kompose-test)
set -euo pipefail

prefix=${KOMPOSE_IMAGE_PREFIX:-kompose-test}
project=kompose-verify-$$

log() { printf '[verify-provision] %s\n' "$*"; }
die() {
	printf '[verify-provision] error: %s\n' "$*" >&2
	exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

t_start=$(now)
dir=$(mktemp -d "${TMPDIR:-/tmp}/kompose-verify.XXXXXX")
compose() { docker compose --project-name "$project" --project-directory "$dir" "$@"; }
cleanup() {
	compose down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "docker compose $(docker compose version --short) against Docker Engine $(docker version --format '{{ .Server.Version }} (API {{ .Server.APIVersion }})')"

cat >"$dir/compose.yaml" <<EOF
services:
  db:
    image: $prefix/postgres:15
    environment:
      POSTGRES_USER: kompose
      POSTGRES_PASSWORD: secret
    volumes:
      - dbdata:/var/lib/postgresql/data
  app:
    image: $prefix/debian:bookworm
    init: true
    command: ["sh", "-c", "echo hello-from-app; exec sleep infinity"]
    depends_on:
      db:
        condition: service_healthy
volumes:
  dbdata:
EOF

log "up -d --wait"
if ! compose up --detach --wait >/dev/null 2>"$dir/up.log"; then
	if ! grep -q 'non-overlapping IPv4 address pool' "$dir/up.log"; then
		cat "$dir/up.log" >&2
		die "docker compose up failed"
	fi
	# Engine 20.10's default address pools hold only ~30 user-defined networks;
	# when other projects have used them up, give ours an explicit subnet.
	subnet=${KOMPOSE_VERIFY_SUBNET:-10.201.$(($$ % 256)).0/24}
	log "the engine's default address pools are exhausted ($(docker network ls -q | wc -l) networks); retrying with subnet $subnet"
	compose down --volumes --remove-orphans >/dev/null 2>&1 || true
	cat >>"$dir/compose.yaml" <<-EOF
		networks:
		  default:
		    ipam:
		      config:
		        - subnet: $subnet
	EOF
	compose up --detach --wait >/dev/null 2>"$dir/up.log" || {
		cat "$dir/up.log" >&2
		die "docker compose up failed"
	}
fi

log "ps"
running=$(compose ps --status running --services | sort | tr '\n' ' ')
[[ $running == "app db " ]] || die "expected services app and db running, got: $running"
# (Output is captured before grepping: `cmd | grep -q` can fail under pipefail
# when grep exits early and cmd gets SIGPIPE.)
ps_json=$(compose ps --format json)
grep -q '"Health":"healthy"' <<<"$ps_json" || die "db is not reported healthy by compose ps"

log "logs"
app_logs=$(compose logs --no-log-prefix app)
grep -qx hello-from-app <<<"$app_logs" || die "app logs lack hello-from-app"
db_logs=$(compose logs db)
grep -q 'database system is ready to accept connections' <<<"$db_logs" || die "db logs lack the ready message"

log "exec -T"
[[ $(compose exec -T app cat /etc/debian_version) == 12.* ]] || die "exec in app did not report Debian 12"
[[ $(compose exec -T db psql -U kompose -tAc 'SELECT 40 + 2') == 42 ]] || die "exec psql in db failed"
dump=$(compose exec -T db pg_dump -U kompose -d kompose --schema-only)
grep -q 'PostgreSQL database dump' <<<"$dump" || die "exec pg_dump in db failed"

log "down --volumes"
compose down --volumes --timeout 10 >/dev/null 2>"$dir/down.log" || {
	cat "$dir/down.log" >&2
	die "docker compose down failed"
}
left=$(docker ps -aq --filter "label=com.docker.compose.project=$project")
[[ -z $left ]] || die "containers left behind: $left"
log "ok in $(since "$t_start")"
