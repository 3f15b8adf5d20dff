#!/usr/bin/env bash
# mmdebstrap --customize-hook for the kompose-test/postgres image; $1 is the
# root directory of the new file system (see scripts/build-images.sh). Runs
# after postgresql-15 is installed and the entrypoint has been copied in.
set -euo pipefail

root=${1:?usage: customize.sh ROOTFS}
pg_major=${PG_MAJOR:-15}
sample=$root/usr/share/postgresql/$pg_major/postgresql.conf.sample

# Listen on all addresses, like the official image (initdb copies this file
# into every new cluster's postgresql.conf).
sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" "$sample"
grep -q "^listen_addresses = '\*'" "$sample"

# The entrypoint initialises $PGDATA itself: no Debian "main" cluster (it is
# disabled with createcluster.d in the setup hook; drop it if it exists anyway).
if [[ -d $root/etc/postgresql/$pg_major/main ]]; then
	chroot "$root" pg_dropcluster "$pg_major" main
fi

# The image keeps /run/postgresql (the socket directory), so the build runs with
# --skip=cleanup/run and empties the rest of /run here instead.
find "$root/run" -mindepth 1 -maxdepth 1 ! -name lock -exec rm -rf {} +

chroot "$root" sh -ec '
	mkdir -p /var/run/postgresql /var/lib/postgresql/data /docker-entrypoint-initdb.d
	chown postgres:postgres /var/run/postgresql /var/lib/postgresql/data
	chmod 03777 /var/run/postgresql
	chmod 00700 /var/lib/postgresql/data
	chmod 0755 /usr/local/bin/docker-entrypoint.sh
	ln -sf usr/local/bin/docker-entrypoint.sh /docker-entrypoint.sh
'
