#!/usr/bin/env bash
# Build the local images the tests use. No container registry is reachable, so
# the images are made from Debian packages: mmdebstrap builds a root file
# system from the Debian mirror the machine's apt already uses, and
# `docker import` turns the tarball into an image.
#
#   kompose-test/debian:bookworm           minbase bookworm, CMD ["bash"]
#   kompose-test/postgres:15 (and :latest) bookworm + postgresql-15, with an
#                                          entrypoint like the official image's
#                                          (scripts/images/postgres/)
#   kompose-test/mariadb:10.11             bookworm + mariadb-server 10.11, with
#                                          an entrypoint like the official
#                                          image's (scripts/images/mariadb/)
#   kompose-test/debian-pkg:bookworm       bookworm + man-db and bash-completion,
#                                          man pages kept: a clean machine to
#                                          install kompose's .deb in (e2e)
#
# An image is skipped when it exists and carries the current recipe hash (label
# dev.kompose.provision.recipe); editing the recipe or the entrypoint rebuilds.
#
# Usage: scripts/build-images.sh [--force] [--verify]
#   --force   rebuild even if the images are current
#   --verify  smoke-test the postgres and mariadb images even if nothing was
#             built (each is always tested right after being built)
# Environment:
#   KOMPOSE_IMAGE_PREFIX     repository prefix (default kompose-test)
#   KOMPOSE_MMDEBSTRAP_MODE  mmdebstrap --mode (default auto: root as root)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=${KOMPOSE_IMAGE_PREFIX:-kompose-test}
mode=${KOMPOSE_MMDEBSTRAP_MODE:-auto}
suite=bookworm
pg_major=15
debian_image=$prefix/debian:$suite
pg_image=$prefix/postgres:$pg_major
pg_extra_tags=("$prefix/postgres:latest")
my_image=$prefix/mariadb:10.11
pkg_image=$prefix/debian-pkg:$suite
recipe_label=dev.kompose.provision.recipe

force=false
verify=false
for arg; do
	case $arg in
	--force) force=true ;;
	--verify) verify=true ;;
	-h | --help)
		sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		printf 'usage: %s [--force] [--verify]\n' "$0" >&2
		exit 2
		;;
	esac
done

log() { printf '[build-images] %s\n' "$*"; }
die() {
	printf '[build-images] error: %s\n' "$*" >&2
	exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

t_start=$(now)

# --- temp dir and cleanup --------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kompose-build-images.XXXXXX")
containers=()
untag_on_exit=() # freshly built images not verified yet
cleanup() {
	local c
	for c in "${containers[@]}"; do
		docker rm -f -v "$c" >/dev/null 2>&1 || true
	done
	if ((${#untag_on_exit[@]})); then
		printf '[build-images] removing the unverified %s so that the next run rebuilds it\n' "${untag_on_exit[*]}" >&2
		docker rmi "${untag_on_exit[@]}" >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Serialise concurrent runs (e.g. parallel test jobs) on this machine.
exec 9>"${TMPDIR:-/tmp}/kompose-build-images.lock"
if ! flock -n 9; then
	log "waiting for another build-images run to finish"
	flock 9
fi

docker info >/dev/null 2>&1 || die "the Docker daemon is not reachable (docker info failed)"

# --- helpers -----------------------------------------------------------------

# image_current IMAGE RECIPE: the image exists and was built from RECIPE.
image_current() {
	local have
	have=$(docker image inspect --format "{{ index .Config.Labels \"$recipe_label\" }}" "$1" 2>/dev/null) || return 1
	[[ $have == "$2" ]]
}

# image_id IMAGE: the image's ID, or nothing.
image_id() { docker image inspect --format '{{ .Id }}' "$1" 2>/dev/null || true; }

# drop_old OLD_ID NEW_IMAGE: remove a replaced image unless it is still tagged
# or used (then docker refuses, which is fine).
drop_old() {
	[[ -n $1 && $1 != "$(image_id "$2")" ]] || return 0
	if docker rmi "$1" >/dev/null 2>&1; then
		log "removed the replaced image ${1#sha256:}"
	fi
}

# recipe_hash STRING... : short hash of the build inputs.
recipe_hash() { printf '%s\n' "$@" | sha256sum | cut -c1-16; }

# apt_sources: "deb URI SUITE main" lines for the bookworm suites found in the
# machine's apt sources (one-line .list and deb822 .sources formats), so that
# mmdebstrap uses the same (reachable) mirror as apt.
apt_sources() {
	local f
	local -a list=() deb822=()
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] && list+=("$f")
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] && deb822+=("$f")
	done
	{
		if ((${#list[@]})); then
			awk '$1 == "deb" {
				i = 2
				if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
				print $i, $(i + 1)
			}' "${list[@]}"
		fi
		if ((${#deb822[@]})); then
			awk '
			function flush(  n, m, i, j, U, S) {
				if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /^(no|false|0)$/) {
					n = split(uris, U, /[ \t]+/); m = split(suites, S, /[ \t]+/)
					for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) if (U[i] != "" && S[j] != "") print U[i], S[j]
				}
				types = uris = suites = key = ""; enabled = "yes"
			}
			BEGIN { enabled = "yes" }
			FNR == 1 { flush() }
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]/ { if (key == "uris") uris = uris " " $0; else if (key == "suites") suites = suites " " $0; next }
			/^[A-Za-z0-9-]+:/ {
				key = tolower(substr($0, 1, index($0, ":") - 1)); val = substr($0, index($0, ":") + 1)
				if (key == "types") types = val; else if (key == "uris") uris = val
				else if (key == "suites") suites = val; else if (key == "enabled") enabled = tolower(val)
				gsub(/^[ \t]+|[ \t]+$/, "", enabled)
				next
			}
			END { flush() }' "${deb822[@]}"
		fi
	} | awk -v s="$suite" '
		{ sub(/\/+$/, "", $1) }
		($2 == s || $2 == s "-updates" || $2 == s "-security") && $1 ~ /^https?:\/\// && !seen[$1 " " $2]++ {
			print "deb " $1 " " $2 " main"
		}'
}

mapfile -t sources < <(apt_sources)
if ! printf '%s\n' "${sources[@]}" | grep -q " $suite main\$"; then
	log "no '$suite' suite in /etc/apt/sources*; falling back to http://deb.debian.org/debian"
	sources=("deb http://deb.debian.org/debian $suite main" "${sources[@]}")
fi

# shellcheck disable=SC2016 # hooks' $1 (the rootfs) is expanded by mmdebstrap
mm_args=(
	--variant=minbase
	--mode="$mode"
	--format=tar
	# Slim like Debian's docker images: no man pages, docs or translations.
	--dpkgopt='path-exclude=/usr/share/man/*'
	--dpkgopt='path-exclude=/usr/share/info/*'
	--dpkgopt='path-exclude=/usr/share/doc/*'
	--dpkgopt='path-include=/usr/share/doc/*/copyright'
	--dpkgopt='path-exclude=/usr/share/locale/*'
	--dpkgopt='path-include=/usr/share/locale/locale.alias'
	--aptopt='APT::Install-Recommends "false"'
	# Do not leak the build machine's hostname and resolver into the images
	# (Docker bind-mounts its own at run time).
	--customize-hook='echo localhost >"$1/etc/hostname" && : >"$1/etc/resolv.conf"'
)
# Honour the host's apt settings for snapshot-style mirrors.
if apt-config dump Acquire::Check-Valid-Until 2>/dev/null | grep -qi '"false"'; then
	mm_args+=(--aptopt='Acquire::Check-Valid-Until "false"')
fi

std_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# --- mmdebstrap --------------------------------------------------------------
ensure_mmdebstrap() {
	command -v mmdebstrap >/dev/null 2>&1 && return 0
	[[ $(id -u) == 0 ]] || die "mmdebstrap is missing; install it (apt-get install mmdebstrap) or run as root"
	log "installing mmdebstrap with apt-get"
	local t0
	t0=$(now)
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends mmdebstrap >"$tmp/apt.log" 2>&1; then
		log "apt-get install failed; running apt-get update and retrying"
		apt-get update -q >>"$tmp/apt.log" 2>&1 || true
		apt-get install -y -q --no-install-recommends mmdebstrap >>"$tmp/apt.log" 2>&1 || {
			cat "$tmp/apt.log" >&2
			die "could not install mmdebstrap"
		}
	fi
	log "installed mmdebstrap $(mmdebstrap --version | awk '{ print $2 }') in $(since "$t0")"
}

# mmdebstrap_tar OUT.tar [EXTRA mmdebstrap args...]
mmdebstrap_tar() {
	local out=$1 t0
	shift
	t0=$(now)
	if ! mmdebstrap "${mm_args[@]}" "$@" "$suite" "$out" "${sources[@]}" >"$tmp/mmdebstrap.log" 2>&1; then
		tail -n 40 "$tmp/mmdebstrap.log" >&2
		die "mmdebstrap failed"
	fi
	log "mmdebstrap made a $(du -h "$out" | cut -f1) rootfs tarball in $(since "$t0")"
}

# --- kompose-test/debian:bookworm ------------------------------------------
debian_changes=(
	"ENV PATH=$std_path"
	'ENV LANG=C.UTF-8'
	'CMD ["bash"]'
)
debian_recipe=$(recipe_hash v1 "${mm_args[@]}" "${debian_changes[@]}")

build_debian() {
	local t0 tar=$tmp/debian.tar old
	t0=$(now)
	old=$(image_id "$debian_image")
	log "building $debian_image: mmdebstrap --variant=minbase $suite from ${sources[*]}"
	mmdebstrap_tar "$tar"
	log "importing $debian_image"
	local -a change_args=()
	local c
	for c in "${debian_changes[@]}" "LABEL $recipe_label=$debian_recipe"; do
		change_args+=(--change "$c")
	done
	docker import "${change_args[@]}" --message "mmdebstrap --variant=minbase $suite" "$tar" "$debian_image" >/dev/null
	rm -f "$tar"
	drop_old "$old" "$debian_image"
	log "built $debian_image in $(since "$t0")"
}

# --- kompose-test/postgres:15 -----------------------------------------------
pg_dir=$here/images/postgres
pg_bin=/usr/lib/postgresql/$pg_major/bin
# shellcheck disable=SC2016 # the HEALTHCHECK's variables are the container's
pg_changes=(
	"ENV PATH=$pg_bin:$std_path"
	'ENV LANG=C.UTF-8'
	"ENV PG_MAJOR=$pg_major"
	'ENV PGDATA=/var/lib/postgresql/data'
	'VOLUME /var/lib/postgresql/data'
	'EXPOSE 5432'
	'ENTRYPOINT ["docker-entrypoint.sh"]'
	'CMD ["postgres"]'
	# A usable healthcheck (the official image has none; compose files that
	# define their own override it). pg_isready only answers "ready" once the
	# real server runs: the init-time server listens on a private socket.
	'HEALTHCHECK --interval=2s --timeout=5s --start-period=60s --retries=15 CMD pg_isready -q -U "${POSTGRES_USER:-postgres}" -d "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"'
)
# `docker import --change` on Engine 20.10 rejects STOPSIGNAL, so it is added
# by a metadata-only build step (no RUN, no pull). SIGINT = fast shutdown, as
# in the official image.
pg_stopsignal=SIGINT
pg_recipe=$(recipe_hash v1 "${mm_args[@]}" "${pg_changes[@]}" "$pg_stopsignal" \
	"$(cat "$pg_dir/docker-entrypoint.sh" "$pg_dir/customize.sh")")

build_postgres() {
	local t0 tar=$tmp/postgres.tar old
	t0=$(now)
	old=$(image_id "$pg_image")
	# Stage the hook inputs in $tmp: mmdebstrap splits hook arguments on spaces.
	mkdir -p "$tmp/pg"
	install -m 0755 "$pg_dir/docker-entrypoint.sh" "$pg_dir/customize.sh" "$tmp/pg/"
	log "building $pg_image: mmdebstrap $suite + postgresql-$pg_major"
	# shellcheck disable=SC2016 # the hooks' $1 (the rootfs) is expanded by mmdebstrap
	mmdebstrap_tar "$tar" \
		--include="postgresql-$pg_major,postgresql-client-$pg_major" \
		--setup-hook='mkdir -p "$1/etc/postgresql-common/createcluster.d" && echo "create_main_cluster = false" >"$1/etc/postgresql-common/createcluster.d/00-kompose.conf"' \
		--customize-hook="copy-in $tmp/pg/docker-entrypoint.sh /usr/local/bin" \
		--skip=cleanup/run \
		--customize-hook="PG_MAJOR=$pg_major $tmp/pg/customize.sh \"\$1\""
	log "importing $pg_image"
	local -a change_args=()
	local c
	for c in "${pg_changes[@]}" "LABEL $recipe_label=$pg_recipe"; do
		change_args+=(--change "$c")
	done
	local stage=$prefix/postgres:import-$$
	docker import "${change_args[@]}" --message "mmdebstrap $suite + postgresql-$pg_major" "$tar" "$stage" >/dev/null
	rm -f "$tar"
	log "adding STOPSIGNAL $pg_stopsignal (metadata-only docker build)"
	local out
	if ! out=$(printf 'FROM %s\nSTOPSIGNAL %s\n' "$stage" "$pg_stopsignal" |
		DOCKER_BUILDKIT=0 docker build --quiet --tag "$pg_image" - 2>&1); then
		printf '%s\n' "$out" >&2
		docker rmi "$stage" >/dev/null 2>&1 || true
		die "docker build (STOPSIGNAL layer) failed"
	fi
	docker rmi "$stage" >/dev/null
	local tag
	for tag in "${pg_extra_tags[@]}"; do
		docker tag "$pg_image" "$tag"
	done
	drop_old "$old" "$pg_image"
	log "built $pg_image (also ${pg_extra_tags[*]}) in $(since "$t0")"
}

# verify_postgres: run the image, wait for health, create a table with psql,
# pg_dump it, check password auth over TCP from another container, stop it.
verify_postgres() {
	local t0 name=kompose-pg-verify-$$ pw=verify-secret user=kompose db=kompose_db
	t0=$(now)
	log "verifying $pg_image: docker run, psql, pg_dump, remote password auth, docker stop"
	containers+=("$name")
	docker run -d --name "$name" -e POSTGRES_USER="$user" -e POSTGRES_PASSWORD="$pw" \
		-e POSTGRES_DB="$db" "$pg_image" >/dev/null
	local i status=
	for ((i = 0; i < 120; i++)); do
		status=$(docker inspect --format '{{ .State.Status }}/{{ .State.Health.Status }}' "$name")
		[[ $status == running/healthy ]] && break
		if [[ $status != running/* ]]; then
			docker logs "$name" >&2 || true
			die "postgres container is $status"
		fi
		sleep 0.5
	done
	if [[ $status != running/healthy ]]; then
		docker logs "$name" >&2 || true
		die "postgres did not become healthy within 60s ($status)"
	fi
	local tools
	tools=$(docker exec "$name" sh -c 'for t in psql pg_dump pg_restore pg_isready; do command -v "$t"; done')
	[[ $(grep -c "^$pg_bin/" <<<"$tools") == 4 ]] || die "client tools not in $pg_bin via PATH: $tools"
	docker exec -i "$name" psql -v ON_ERROR_STOP=1 -q -U "$user" -d "$db" <<-'SQL'
		CREATE TABLE kompose_verify (id integer PRIMARY KEY, note text NOT NULL);
		INSERT INTO kompose_verify VALUES (1, 'provisioned');
	SQL
	local dump
	dump=$(docker exec "$name" pg_dump -U "$user" -d "$db" --table=kompose_verify)
	grep -q '^CREATE TABLE public.kompose_verify' <<<"$dump" || die "pg_dump output lacks the table"
	grep -q 'provisioned' <<<"$dump" || die "pg_dump output lacks the row"
	docker exec "$name" pg_dump -U "$user" -d "$db" --format=custom --table=kompose_verify |
		docker exec -i "$name" pg_restore --list >/dev/null || die "pg_restore could not read a custom-format dump"
	local ip
	ip=$(docker inspect --format '{{ range .NetworkSettings.Networks }}{{ .IPAddress }}{{ end }}' "$name")
	if [[ -n $ip ]]; then
		local count
		count=$(docker run --rm -e PGPASSWORD="$pw" --entrypoint psql "$pg_image" \
			-h "$ip" -U "$user" -d "$db" -tAc 'SELECT count(*) FROM kompose_verify') ||
			die "password login over TCP failed"
		[[ $count == 1 ]] || die "unexpected row count over TCP: $count"
		if docker run --rm -e PGPASSWORD=wrong --entrypoint psql "$pg_image" \
			-h "$ip" -U "$user" -d "$db" -tAc 'SELECT 1' >/dev/null 2>&1; then
			die "a wrong password was accepted over TCP"
		fi
	fi
	local t_stop
	t_stop=$(now)
	docker stop "$name" >/dev/null
	local exit_code
	exit_code=$(docker inspect --format '{{ .State.ExitCode }}' "$name")
	[[ $exit_code == 0 ]] || die "postgres exited with $exit_code on docker stop"
	# (Captured, not piped into grep -q: that can fail under pipefail with SIGPIPE.)
	local logs
	logs=$(docker logs "$name" 2>&1)
	[[ $(tail -n 1 <<<"$logs") == *'database system is shut down' ]] ||
		die "no clean shutdown at the end of the logs: $(tail -n 3 <<<"$logs")"
	log "docker stop took $(since "$t_stop") (clean shutdown)"
	docker rm -v "$name" >/dev/null
	log "verified $pg_image in $(since "$t0")"
}

# --- kompose-test/mariadb:10.11 ----------------------------------------------
my_dir=$here/images/mariadb
# shellcheck disable=SC2016 # the HEALTHCHECK's variables are the container's
my_changes=(
	"ENV PATH=$std_path"
	'ENV LANG=C.UTF-8'
	'VOLUME /var/lib/mysql'
	'EXPOSE 3306'
	'ENTRYPOINT ["docker-entrypoint.sh"]'
	'CMD ["mariadbd"]'
	# Healthy once the real server answers on TCP (the init-time server has
	# no network).
	'HEALTHCHECK --interval=2s --timeout=5s --start-period=60s --retries=15 CMD mariadb-admin --protocol=tcp -h 127.0.0.1 ping'
)
my_recipe=$(recipe_hash v1 "${mm_args[@]}" "${my_changes[@]}" \
	"$(cat "$my_dir/docker-entrypoint.sh" "$my_dir/customize.sh")")

build_mariadb() {
	local t0 tar=$tmp/mariadb.tar old
	t0=$(now)
	old=$(image_id "$my_image")
	mkdir -p "$tmp/my"
	install -m 0755 "$my_dir/docker-entrypoint.sh" "$my_dir/customize.sh" "$tmp/my/"
	log "building $my_image: mmdebstrap $suite + mariadb-server"
	mmdebstrap_tar "$tar" \
		--include="mariadb-server,mariadb-client,util-linux,gzip" \
		--customize-hook="copy-in $tmp/my/docker-entrypoint.sh /usr/local/bin" \
		--customize-hook="$tmp/my/customize.sh \"\$1\""
	log "importing $my_image"
	local -a change_args=()
	local c
	for c in "${my_changes[@]}" "LABEL $recipe_label=$my_recipe"; do
		change_args+=(--change "$c")
	done
	docker import "${change_args[@]}" --message "mmdebstrap $suite + mariadb-server" "$tar" "$my_image" >/dev/null
	rm -f "$tar"
	drop_old "$old" "$my_image"
	log "built $my_image in $(since "$t0")"
}

# verify_mariadb: run the image, wait for health, create a table as the
# application user, dump it with mariadb-dump, check --sandbox and password
# auth over TCP from another container, stop it.
verify_mariadb() {
	local t0 name=kompose-my-verify-$$ pw=verify-secret rootpw=verify-root user=kompose db=kompose_db
	t0=$(now)
	log "verifying $my_image: docker run, mariadb, mariadb-dump, --sandbox, remote password auth, docker stop"
	containers+=("$name")
	docker run -d --name "$name" -e MARIADB_ROOT_PASSWORD="$rootpw" -e MARIADB_USER="$user" \
		-e MARIADB_PASSWORD="$pw" -e MARIADB_DATABASE="$db" "$my_image" >/dev/null
	local i status=
	for ((i = 0; i < 120; i++)); do
		status=$(docker inspect --format '{{ .State.Status }}/{{ .State.Health.Status }}' "$name")
		[[ $status == running/healthy ]] && break
		if [[ $status != running/* ]]; then
			docker logs "$name" >&2 || true
			die "mariadb container is $status"
		fi
		sleep 0.5
	done
	if [[ $status != running/healthy ]]; then
		docker logs "$name" >&2 || true
		die "mariadb did not become healthy within 60s ($status)"
	fi
	docker exec -i -e MYSQL_PWD="$pw" "$name" mariadb -u "$user" "$db" <<-'SQL'
		CREATE TABLE kompose_verify (id INT PRIMARY KEY, note TEXT NOT NULL);
		INSERT INTO kompose_verify VALUES (1, 'provisioned');
	SQL
	local dump
	dump=$(docker exec -e MYSQL_PWD="$pw" "$name" mariadb-dump -u "$user" --single-transaction --routines --events "$db")
	grep -q '^CREATE TABLE `kompose_verify`' <<<"$dump" || die "mariadb-dump output lacks the table"
	grep -q 'provisioned' <<<"$dump" || die "mariadb-dump output lacks the row"
	grep -q '^-- Dump completed' <<<"$dump" || die "mariadb-dump output lacks its completion line"
	local out
	out=$(printf 'SELECT 1;\n\\! echo escaped\n' | docker exec -i -e MYSQL_PWD="$pw" "$name" mariadb --sandbox -u "$user" "$db" 2>&1) &&
		die "mariadb --sandbox ran a shell command: $out"
	grep -q 'Not allowed in the sandbox mode' <<<"$out" || die "mariadb --sandbox: $out"
	local ip
	ip=$(docker inspect --format '{{ range .NetworkSettings.Networks }}{{ .IPAddress }}{{ end }}' "$name")
	if [[ -n $ip ]]; then
		local count
		count=$(docker run --rm -e MYSQL_PWD="$pw" --entrypoint mariadb "$my_image" \
			-h "$ip" -u "$user" -N -e 'SELECT count(*) FROM kompose_verify' "$db") ||
			die "password login over TCP failed"
		[[ $count == 1 ]] || die "unexpected row count over TCP: $count"
		if docker run --rm -e MYSQL_PWD=wrong --entrypoint mariadb "$my_image" \
			-h "$ip" -u "$user" -e 'SELECT 1' "$db" >/dev/null 2>&1; then
			die "a wrong password was accepted over TCP"
		fi
	fi
	local t_stop
	t_stop=$(now)
	docker stop "$name" >/dev/null
	local exit_code
	exit_code=$(docker inspect --format '{{ .State.ExitCode }}' "$name")
	[[ $exit_code == 0 ]] || die "mariadb exited with $exit_code on docker stop"
	log "docker stop took $(since "$t_stop")"
	docker rm -v "$name" >/dev/null
	log "verified $my_image in $(since "$t0")"
}

# --- kompose-test/debian-pkg:bookworm --------------------------------------
# The .deb's test machine: man-db (man -w), bash-completion (its loader
# finds /usr/share/bash-completion/completions/kompose). The minbase images
# tell dpkg to drop man pages (path-exclude in 99mmdebstrap); this one
# removes that rule after its own packages are in, so that a package
# installed later keeps its man page, as on a real Debian machine.
pkg_changes=(
	"ENV PATH=$std_path"
	'ENV LANG=C.UTF-8'
	'CMD ["bash"]'
)
# shellcheck disable=SC2016 # the hook's $1 (the rootfs) is expanded by mmdebstrap
pkg_hook='rm -f "$1/etc/dpkg/dpkg.cfg.d/99mmdebstrap"'
pkg_recipe=$(recipe_hash v1 "${mm_args[@]}" "${pkg_changes[@]}" man-db bash-completion "$pkg_hook")

build_pkg() {
	local t0 tar=$tmp/debian-pkg.tar old
	t0=$(now)
	old=$(image_id "$pkg_image")
	log "building $pkg_image: mmdebstrap $suite + man-db, bash-completion"
	mmdebstrap_tar "$tar" --include="man-db,bash-completion" --customize-hook="$pkg_hook"
	local -a change_args=()
	local c
	for c in "${pkg_changes[@]}" "LABEL $recipe_label=$pkg_recipe"; do
		change_args+=(--change "$c")
	done
	docker import "${change_args[@]}" --message "mmdebstrap $suite + man-db, bash-completion" "$tar" "$pkg_image" >/dev/null
	rm -f "$tar"
	drop_old "$old" "$pkg_image"
	log "built $pkg_image in $(since "$t0")"
}

# --- main ----------------------------------------------------------------------
built_pg=false
if ! $force && image_current "$debian_image" "$debian_recipe"; then
	log "$debian_image is up to date (recipe $debian_recipe), skipping"
else
	ensure_mmdebstrap
	build_debian
fi
pg_current=true
for tag in "$pg_image" "${pg_extra_tags[@]}"; do
	image_current "$tag" "$pg_recipe" || pg_current=false
done
if ! $force && $pg_current; then
	log "$pg_image is up to date (recipe $pg_recipe), skipping"
else
	ensure_mmdebstrap
	build_postgres
	built_pg=true
	untag_on_exit=("$pg_image" "${pg_extra_tags[@]}")
fi
if $built_pg || $verify; then
	verify_postgres
	untag_on_exit=()
fi
built_my=false
if ! $force && image_current "$my_image" "$my_recipe"; then
	log "$my_image is up to date (recipe $my_recipe), skipping"
else
	ensure_mmdebstrap
	build_mariadb
	built_my=true
	untag_on_exit=("$my_image")
fi
if $built_my || $verify; then
	verify_mariadb
	untag_on_exit=()
fi
if ! $force && image_current "$pkg_image" "$pkg_recipe"; then
	log "$pkg_image is up to date (recipe $pkg_recipe), skipping"
else
	ensure_mmdebstrap
	build_pkg
fi
log "done in $(since "$t_start")"
