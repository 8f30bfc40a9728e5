#!/bin/sh
# Stand-in for the official postgres image's entrypoint on the process kubelet (test image table).
#
# Like docker-entrypoint.sh: arguments starting with "-" are the server's; an empty PGDATA is
# initialised with initdb first; then the server is exec'd (so the kubelet's signals reach it).
# It uses the host's PostgreSQL 15. The pod runs as a uid without a passwd entry (65532), which
# initdb refuses; the official image solves that with nss_wrapper, this stand-in with a user
# namespace mapping that uid to the host's "postgres" account. Only
# POSTGRES_HOST_AUTH_METHOD=trust is supported (all Strongroom's socket-only sidecar needs).
set -eu

BINDIR=/usr/lib/postgresql/15/bin
as_postgres() {
    unshare --user --map-user="$(id -u postgres)" --map-group="$(id -g postgres)" "$@"
}

case "${1:-postgres}" in
    -*) set -- postgres "$@" ;;
esac
if [ "${1:-postgres}" != postgres ]; then
    exec "$@"
fi
[ "$#" -gt 0 ] && shift

PGDATA="${PGDATA:-/var/lib/postgresql/data}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
        echo "postgres stand-in: set POSTGRES_HOST_AUTH_METHOD=trust (the only method supported here)" >&2
        exit 1
    fi
    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA"
    as_postgres "$BINDIR/initdb" -D "$PGDATA" -U "${POSTGRES_USER:-postgres}" --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 --no-sync >&2
    echo "postgres stand-in: initialised $PGDATA" >&2
fi
exec unshare --user --map-user="$(id -u postgres)" --map-group="$(id -g postgres)" \
    "$BINDIR/postgres" -D "$PGDATA" "$@"
