#!/usr/bin/env bash
# mmdebstrap --customize-hook for the kompose-test/mariadb image; $1 is the
# root directory of the new file system (see scripts/build-images.sh). Runs
# after mariadb-server is installed and the entrypoint has been copied in.
set -euo pipefail

root=${1:?usage: customize.sh ROOTFS}

# Listen on all addresses like the official image; no name resolution (the
# compose network's names change), utf8mb4 by default.
cat >"$root/etc/mysql/mariadb.conf.d/99-kompose.cnf" <<'CNF'
[mariadbd]
bind-address = 0.0.0.0
port = 3306
skip-name-resolve
skip-log-bin
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
CNF

# The package's own data folder (made by its postinst) goes: the entrypoint
# initialises an empty volume on first start.
rm -rf "$root/var/lib/mysql"
find "$root/run" -mindepth 1 -maxdepth 1 ! -name lock -exec rm -rf {} +

chroot "$root" sh -ec '
	mkdir -p /var/lib/mysql /run/mysqld /docker-entrypoint-initdb.d
	chown mysql:mysql /var/lib/mysql /run/mysqld
	chmod 0755 /usr/local/bin/docker-entrypoint.sh
	ln -sf usr/local/bin/docker-entrypoint.sh /docker-entrypoint.sh
'
