#!/usr/bin/env bash
# Entrypoint of the kompose-test/postgres image (built by scripts/build-images.sh
# from Debian bookworm's postgresql-15 package). It implements the essentials of
# the official postgres image's docker-entrypoint.sh:
#
#   - first start with an empty $PGDATA: initdb as $POSTGRES_USER (default
#     postgres) with $POSTGRES_PASSWORD, create $POSTGRES_DB (default: the user),
#     run /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz;
#   - pg_hba: trust on the local socket (and loopback), password auth
#     ($POSTGRES_HOST_AUTH_METHOD, default scram-sha-256) for all other hosts;
#   - listen on 0.0.0.0:5432 (listen_addresses='*' is set in the image's
#     postgresql.conf.sample);
#   - drop root to the postgres user and exec postgres in the foreground, so
#     `docker stop` signals the postmaster directly (the image sets
#     STOPSIGNAL SIGINT = fast shutdown, like the official image; SIGTERM gives
#     a smart shutdown).
#
# Supported variables: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB (each also
# as *_FILE), POSTGRES_INITDB_ARGS, POSTGRES_INITDB_WALDIR,
# POSTGRES_HOST_AUTH_METHOD, PGDATA.
#
# Unlike the official image, the temporary server used during initialisation
# only listens on a private socket directory, so `pg_isready` (the healthcheck)
# reports "not ready" until the real server is up.
set -Eeuo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# file_env VAR [DEFAULT]: VAR may also be given as VAR_FILE (docker secrets).
file_env() {
	local var=$1 def=${2:-}
	local fvar="${var}_FILE"
	if [[ -n ${!var:-} && -n ${!fvar:-} ]]; then
		die "both $var and $fvar are set (but are exclusive)"
	fi
	local val=$def
	if [[ -n ${!var:-} ]]; then
		val=${!var}
	elif [[ -n ${!fvar:-} ]]; then
		val=$(<"${!fvar}")
	fi
	export "$var=$val"
	unset "$fvar"
}

# `docker run image -c foo=bar` means `postgres -c foo=bar`.
if [[ ${1:-} == -* ]]; then
	set -- postgres "$@"
fi

# Is this a request to run the server (not `postgres --help`, `-V`, ...)?
is_server() {
	[[ ${1:-} == postgres ]] || return 1
	shift
	local arg
	for arg; do
		case $arg in
		-'?' | --help | --describe-config | -V | --version | -C) return 1 ;;
		esac
	done
	return 0
}

if ! is_server "$@"; then
	exec "$@"
fi

# Root phase: fix ownership of the data and socket directories, then re-exec
# this script as the postgres user.
if [[ $(id -u) == 0 ]]; then
	mkdir -p "$PGDATA"
	chown postgres:postgres "$PGDATA"
	chmod 00700 "$PGDATA" || :
	mkdir -p /var/run/postgresql
	chown postgres:postgres /var/run/postgresql
	chmod 03777 /var/run/postgresql || :
	if [[ -n ${POSTGRES_INITDB_WALDIR:-} ]]; then
		mkdir -p "$POSTGRES_INITDB_WALDIR"
		chown postgres:postgres "$POSTGRES_INITDB_WALDIR"
		chmod 00700 "$POSTGRES_INITDB_WALDIR" || :
	fi
	HOME=$(getent passwd postgres | cut -d: -f6)
	export HOME
	exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

init_database() {
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	local host_auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}

	if [[ -z $POSTGRES_PASSWORD && $host_auth != trust ]]; then
		die "the database is uninitialized and the superuser password is not specified:" \
			"set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust to allow all connections without a password)"
	fi

	log "initialising database cluster in $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
	local -a initdb_args=(--username="$POSTGRES_USER" --auth-local=trust --auth-host=trust)
	if [[ -n ${POSTGRES_INITDB_WALDIR:-} ]]; then
		initdb_args+=(--waldir="$POSTGRES_INITDB_WALDIR")
	fi
	local -a extra_args=()
	read -r -a extra_args <<<"$POSTGRES_INITDB_ARGS"
	if [[ -n $POSTGRES_PASSWORD ]]; then
		initdb --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") "${initdb_args[@]}" "${extra_args[@]}"
	else
		initdb "${initdb_args[@]}" "${extra_args[@]}"
	fi

	# Remote hosts authenticate with a password (trust stays for the local
	# socket and loopback, as in the official image). Passwords are stored as
	# scram-sha-256 (PostgreSQL 15's default), which `md5` also accepts.
	printf '\nhost all all all %s\n' "$host_auth" >>"$PGDATA/pg_hba.conf"

	# Temporary server on a private socket directory only (no TCP).
	local sockdir
	sockdir=$(mktemp -d /tmp/pg-init.XXXXXX)
	pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=$sockdir -p 5432" start
	export PGHOST=$sockdir PGPORT=5432 PGUSER=$POSTGRES_USER

	local -a psql=(psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc)
	if [[ $POSTGRES_DB != postgres ]]; then
		local exists
		exists=$("${psql[@]}" -d postgres -tA -v db="$POSTGRES_DB" <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")
		if [[ $exists != 1 ]]; then
			log "creating database $POSTGRES_DB"
			"${psql[@]}" -d postgres -q -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
		fi
	fi

	local f
	for f in /docker-entrypoint-initdb.d/*; do
		[[ -e $f ]] || continue
		case $f in
		*.sh)
			if [[ -x $f ]]; then
				log "running $f"
				"$f"
			else
				log "sourcing $f"
				# shellcheck disable=SC1090
				. "$f"
			fi
			;;
		*.sql)
			log "running $f"
			"${psql[@]}" -d "$POSTGRES_DB" -f "$f"
			;;
		*.sql.gz)
			log "running $f"
			gzip -dc "$f" | "${psql[@]}" -d "$POSTGRES_DB"
			;;
		*) log "ignoring $f" ;;
		esac
	done

	pg_ctl -D "$PGDATA" -m fast -w stop
	unset PGHOST PGPORT PGUSER
	rm -rf "$sockdir"
	log "initialisation complete; starting postgres"
}

if [[ ! -s $PGDATA/PG_VERSION ]]; then
	init_database
fi

exec "$@"
