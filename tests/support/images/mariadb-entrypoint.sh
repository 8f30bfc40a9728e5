#!/bin/sh
# Stand-in for the official mariadb image's entrypoint on the process kubelet (test image table).
#
# Like docker-entrypoint.sh: arguments starting with "-" are the server's; an empty data
# directory is initialised with mariadb-install-db first (root@localhost without a password when
# MARIADB_ALLOW_EMPTY_ROOT_PASSWORD is set); then mariadbd is exec'd. It uses the host's MariaDB
# with --no-defaults (the host's my.cnf is not the image's), inside a user namespace that maps the
# pod's uid to the host's "mysql" account, as initdb-style tools want a passwd entry.
set -eu

as_mysql() {
    unshare --user --map-user="$(id -u mysql)" --map-group="$(id -g mysql)" "$@"
}

case "${1:-mariadbd}" in
    -*) set -- mariadbd "$@" ;;
esac
case "${1:-mariadbd}" in
    mariadbd | mysqld) ;;
    *) exec "$@" ;;
esac
[ "$#" -gt 0 ] && shift

datadir=/var/lib/mysql
for arg in "$@"; do
    case "$arg" in
        --datadir=*) datadir="${arg#--datadir=}" ;;
    esac
done
if [ ! -d "$datadir/mysql" ]; then
    if [ -z "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-}${MYSQL_ALLOW_EMPTY_PASSWORD:-}" ]; then
        echo "mariadb stand-in: set MARIADB_ALLOW_EMPTY_ROOT_PASSWORD (the only login supported here)" >&2
        exit 1
    fi
    as_mysql mariadb-install-db --no-defaults --datadir="$datadir" \
        --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve >&2
    echo "mariadb stand-in: initialised $datadir" >&2
fi
exec unshare --user --map-user="$(id -u mysql)" --map-group="$(id -g mysql)" \
    mariadbd --no-defaults --datadir="$datadir" --tmpdir=/tmp --innodb-buffer-pool-size=64M \
    --skip-name-resolve "$@"
