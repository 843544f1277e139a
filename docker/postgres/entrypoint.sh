#!/bin/bash
# First start: initdb into $PGDATA, then (single-user mode, no server listening yet) the role
# POSTGRES_USER and the database POSTGRES_DB. Every start: exec postgres, so signals reach it.
set -euo pipefail
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_LISTEN:=*}"
sql_literal() { printf "'%s'" "${1//\'/\'\'}"; }
sql_ident() { printf '"%s"' "${1//\"/\"\"}"; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "[postgres] POSTGRES_PASSWORD is required to initialise $PGDATA (the role $POSTGRES_USER logs in with it)" >&2
    exit 1
  fi
  echo "[postgres] initialising $PGDATA (role $POSTGRES_USER, database $POSTGRES_DB)"
  initdb -D "$PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  printf 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  {
    if [ "$POSTGRES_USER" != postgres ]; then
      echo "CREATE ROLE $(sql_ident "$POSTGRES_USER") LOGIN CREATEDB PASSWORD $(sql_literal "$POSTGRES_PASSWORD");"
    else
      echo "ALTER ROLE postgres PASSWORD $(sql_literal "$POSTGRES_PASSWORD");"
    fi
    if [ "$POSTGRES_DB" != postgres ]; then
      echo "CREATE DATABASE $(sql_ident "$POSTGRES_DB") OWNER $(sql_ident "$POSTGRES_USER");"
    fi
  } | postgres --single -D "$PGDATA" -c listen_addresses= postgres >/dev/null
fi
exec postgres -D "$PGDATA" -p "$PGPORT" -c listen_addresses="$POSTGRES_LISTEN" -k /tmp "$@"
