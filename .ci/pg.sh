#!/usr/bin/env bash
# Start (or stop) a throw-away PostgreSQL cluster on 127.0.0.1 for the tests.
# Usage: .ci/pg.sh start|stop   — prints the database URL on start.
# Runs the server as the unprivileged user `postgres` when called as root.
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PGROOT=${KG_PGROOT:-/tmp/kg-pg}
PGPORT=${KG_PGPORT:-55432}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-start}" in
  start)
    if [ -z "$PGBIN" ]; then echo "PostgreSQL server binaries not found" >&2; exit 1; fi
    if as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" status >/dev/null 2>&1; then
      echo "postgresql://app@127.0.0.1:$PGPORT/keyguard_test"; exit 0
    fi
    rm -rf "$PGROOT"
    if [ "$(id -u)" = 0 ]; then install -d -o postgres -g postgres -m 700 "$PGROOT"; else install -d -m 700 "$PGROOT"; fi
    as_pg "$PGBIN/initdb" -D "$PGROOT/data" -U app --auth=trust -E UTF8 --no-sync >"$PGROOT.initdb.log" 2>&1
    as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGROOT -c fsync=off -c max_connections=200" start >/dev/null
    "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U app -d postgres -qc "CREATE DATABASE keyguard_test;" >/dev/null
    echo "postgresql://app@127.0.0.1:$PGPORT/keyguard_test"
    ;;
  stop)
    as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
esac
