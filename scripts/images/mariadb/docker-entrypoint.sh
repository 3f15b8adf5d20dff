#!/usr/bin/env bash
# Entrypoint of the kompose-test/mariadb image (built by scripts/build-images.sh
# from Debian bookworm's mariadb-server package). It implements the essentials
# of the official mariadb image's docker-entrypoint.sh:
#
#   - first start with an empty /var/lib/mysql: mariadb-install-db, then a
#     temporary server on a private socket (no TCP) sets the root password
#     (MARIADB_ROOT_PASSWORD, also root@'%'), creates MARIADB_DATABASE and
#     MARIADB_USER with MARIADB_PASSWORD (all privileges on that database),
#     and runs /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz;
#   - listens on 0.0.0.0:3306 (the image's config, 99-kompose.cnf);
#   - drops root to the mysql user and execs mariadbd in the foreground, so
#     `docker stop` (SIGTERM) shuts it down cleanly.
#
# Supported variables: MARIADB_ROOT_PASSWORD, MARIADB_DATABASE, MARIADB_USER,
# MARIADB_PASSWORD (each also as *_FILE and as the MYSQL_* names the official
# image accepts), MARIADB_ALLOW_EMPTY_ROOT_PASSWORD.
set -Eeuo pipefail

datadir=/var/lib/mysql

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# file_env VAR: VAR may be given as VAR, VAR_FILE, or the MYSQL_ name of
# either (MARIADB_X wins over MYSQL_X, as in the official image).
file_env() {
	local var=$1 alt=MYSQL_${1#MARIADB_} val=
	local f
	for f in "$var" "$alt"; do
		local ff=${f}_FILE
		if [[ -n ${!f:-} ]]; then
			val=${!f}
			break
		elif [[ -n ${!ff:-} ]]; then
			val=$(<"${!ff}")
			break
		fi
	done
	export "$var=$val"
	unset "${var}_FILE" "${alt}_FILE"
}

if [[ ${1:-} == -* ]]; then
	set -- mariadbd "$@"
fi
if [[ ${1:-} != mariadbd && ${1:-} != mysqld ]]; then
	exec "$@"
fi

if [[ $(id -u) == 0 ]]; then
	mkdir -p "$datadir" /run/mysqld
	chown mysql:mysql "$datadir" /run/mysqld
	exec setpriv --reuid=mysql --regid=mysql --init-groups "${BASH_SOURCE[0]}" "$@"
fi

# sql_str VALUE: VALUE as an SQL string literal (quotes and backslashes
# escaped; the sessions below keep the default sql_mode).
sql_str() {
	local v=${1//\\/\\\\}
	printf "'%s'" "${v//\'/\\\'}"
}
sql_ident() { printf '`%s`' "${1//\`/\`\`}"; }

init_database() {
	file_env MARIADB_ROOT_PASSWORD
	file_env MARIADB_DATABASE
	file_env MARIADB_USER
	file_env MARIADB_PASSWORD
	if [[ -z $MARIADB_ROOT_PASSWORD && -z ${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-} ]]; then
		die "the database is uninitialized and no root password is set: set MARIADB_ROOT_PASSWORD (or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1)"
	fi
	log "initialising $datadir"
	mariadb-install-db --datadir="$datadir" --auth-root-authentication-method=normal \
		--skip-test-db --skip-name-resolve --rpm >/dev/null
	local sock
	sock=$(mktemp -d /tmp/mariadb-init.XXXXXX)/sock
	mariadbd --skip-networking --socket="$sock" --datadir="$datadir" &
	local pid=$! i
	for ((i = 0; i < 60; i++)); do
		mariadb --protocol=socket -S "$sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || die "the temporary server exited"
		sleep 0.5
	done
	local -a sql=(mariadb --protocol=socket -S "$sock" -uroot --binary-mode)
	{
		echo "SET @@SESSION.SQL_LOG_BIN=0;"
		echo "DELETE FROM mysql.global_priv WHERE User = '';"
		echo "DROP USER IF EXISTS root@'127.0.0.1', root@'::1';"
		echo "ALTER USER root@localhost IDENTIFIED BY $(sql_str "$MARIADB_ROOT_PASSWORD");"
		echo "CREATE USER root@'%' IDENTIFIED BY $(sql_str "$MARIADB_ROOT_PASSWORD");"
		echo "GRANT ALL ON *.* TO root@'%' WITH GRANT OPTION;"
		if [[ -n $MARIADB_DATABASE ]]; then
			echo "CREATE DATABASE IF NOT EXISTS $(sql_ident "$MARIADB_DATABASE");"
		fi
		if [[ -n $MARIADB_USER && -n $MARIADB_PASSWORD ]]; then
			echo "CREATE USER $(sql_str "$MARIADB_USER")@'%' IDENTIFIED BY $(sql_str "$MARIADB_PASSWORD");"
			if [[ -n $MARIADB_DATABASE ]]; then
				echo "GRANT ALL ON $(sql_ident "${MARIADB_DATABASE//_/\\_}").* TO $(sql_str "$MARIADB_USER")@'%';"
			fi
		fi
		echo "FLUSH PRIVILEGES;"
	} | "${sql[@]}"
	local f
	for f in /docker-entrypoint-initdb.d/*; do
		[[ -e $f ]] || continue
		case $f in
		*.sh) log "running $f" && . "$f" ;;
		*.sql) log "running $f" && MYSQL_PWD=$MARIADB_ROOT_PASSWORD "${sql[@]}" ${MARIADB_DATABASE:+"--database=$MARIADB_DATABASE"} <"$f" ;;
		*.sql.gz) log "running $f" && gzip -dc "$f" | MYSQL_PWD=$MARIADB_ROOT_PASSWORD "${sql[@]}" ${MARIADB_DATABASE:+"--database=$MARIADB_DATABASE"} ;;
		*) log "ignoring $f" ;;
		esac
	done
	# (the password reaches the clients in MYSQL_PWD, never their argv)
	kill -TERM "$pid"
	wait "$pid" || true
	rm -rf "$(dirname "$sock")"
	log "initialisation complete; starting mariadbd"
}

if [[ ! -d $datadir/mysql ]]; then
	init_database
fi
exec "$@"
