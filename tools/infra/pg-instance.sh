#!/usr/bin/env bash
# A private, throwaway PostgreSQL server (its own data dir, port and socket), for test runs that
# must not share the developer's cluster. Uses the installed server binaries (Debian's
# postgresql package; installed with apt when missing, like tools/infra/postgres.sh).
#   tools/infra/pg-instance.sh start DIR PORT   # prints the URL of the `hookstream_test` database
#   tools/infra/pg-instance.sh stop DIR         # stops the server and deletes DIR
# The role `hookstream` (password `hookstream`, LOGIN CREATEDB, not a superuser) owns
# `hookstream_test`, as on the shared cluster. Durability is traded for speed (fsync off): the
# data lives only as long as the run.
#   PG_INSTANCE_DURABLE=1     keep PostgreSQL's default durability (fsync, synchronous_commit and
#                             full_page_writes on, as on the shared cluster): for benches. The
#                             role may also run CHECKPOINT (pg_checkpoint, PostgreSQL 15+).
#   PG_INSTANCE_STATEMENTS=1  preload pg_stat_statements and create the extension in template1, so
#                             every database created afterwards (the bench's own) can be ranked.
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

usage() {
  echo "usage: $0 start DIR PORT | stop DIR" >&2
  exit 2
}

pg_bin() {
  local bin
  bin="$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -n1 || true)"
  if [ -z "$bin" ]; then
    info "PostgreSQL server not installed: installing Debian's 'postgresql' package (apt-get) ..."
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update >&2 || die "apt-get update failed; install postgresql by hand or set TEST_DATABASE_URL."
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2 || die "apt-get install postgresql failed; install it by hand or set TEST_DATABASE_URL."
    bin="$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -n1 || true)"
    [ -n "$bin" ] || die "no /usr/lib/postgresql/*/bin/postgres after installing postgresql"
  fi
  dirname "$bin"
}

# initdb and postgres refuse to run as root: as root, they run as the `postgres` user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cmd_start() {
  local dir="$1" port="$2" bin data
  [ -n "$dir" ] && [ -n "$port" ] || usage
  bin="$(pg_bin)"
  data="$dir/data"
  mkdir -p "$dir"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
  if [ ! -f "$data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
      { tail -n 20 "$dir/initdb.log" >&2; die "initdb failed in $data (see above)"; }
  fi
  local opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200"
  [ "${PG_INSTANCE_DURABLE:-0}" = 1 ] || opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${PG_INSTANCE_STATEMENTS:-0}" != 1 ] || opts="$opts -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.max=2000"
  as_pg "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 start -o "$opts" >&2 ||
    { tail -n 20 "$dir/postgres.log" >&2; die "the private PostgreSQL on port $port did not start (log: $dir/postgres.log)"; }
  as_pg "$bin/psql" -h "$dir" -p "$port" -U postgres -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<'SQL'
SELECT 'CREATE ROLE hookstream LOGIN CREATEDB PASSWORD ''hookstream''' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hookstream')\gexec
SELECT 'CREATE DATABASE hookstream_test OWNER hookstream' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'hookstream_test')\gexec
SQL
  if [ "${PG_INSTANCE_DURABLE:-0}" = 1 ]; then
    # Benches on a durable server may start a measurement from a checkpoint (PostgreSQL 15+).
    as_pg "$bin/psql" -h "$dir" -p "$port" -U postgres -X -q -d postgres -c 'GRANT pg_checkpoint TO hookstream' >/dev/null 2>&1 || true
  fi
  if [ "${PG_INSTANCE_STATEMENTS:-0}" = 1 ]; then
    # In template1 (copied by CREATE DATABASE) and in hookstream_test; `hookstream` may read every
    # statement's text (pg_read_all_stats).
    for db in template1 hookstream_test; do
      as_pg "$bin/psql" -h "$dir" -p "$port" -U postgres -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' >/dev/null
    done
    as_pg "$bin/psql" -h "$dir" -p "$port" -U postgres -X -q -v ON_ERROR_STOP=1 -d postgres -c 'GRANT pg_read_all_stats TO hookstream' >/dev/null
  fi
  echo "postgres://hookstream:hookstream@127.0.0.1:$port/hookstream_test"
}

cmd_stop() {
  local dir="$1" bin
  [ -n "$dir" ] || usage
  if [ -f "$dir/data/postmaster.pid" ]; then
    bin="$(pg_bin)"
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >&2 || info "pg_ctl stop failed for $dir (already gone?)"
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) cmd_start "${2:-}" "${3:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  *) usage ;;
esac
