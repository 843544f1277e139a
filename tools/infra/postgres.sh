#!/usr/bin/env bash
# Local PostgreSQL for Hookstream development (Debian's postgresql package), no Docker needed.
#   tools/infra/postgres.sh start|stop|status
# `start` prints the DATABASE_URL in effect on stdout (progress goes to stderr).
# See tools/infra/README.md for environment variables.
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

PG_ROLE=hookstream
PG_PASSWORD=hookstream
PG_DATABASES=(hookstream hookstream_test)
PG_WAIT_SECONDS="${PG_WAIT_SECONDS:-60}"
PG_MARKER="$HOOKSTREAM_STATE/postgres.cluster" # "<version> <cluster>" of the cluster we manage

usage() {
  echo "usage: $0 {start|stop|status}" >&2
  exit 2
}

# ------------------------------------------------------------ external ----
wait_url() {
  local url="$1" start=$SECONDS last=-1 elapsed
  command -v pg_isready >/dev/null 2>&1 ||
    die "pg_isready not found. Install the client: apt-get install -y postgresql-client"
  while ! pg_isready -q -d "$url" -t 2 >/dev/null 2>&1; do
    elapsed=$((SECONDS - start))
    if [ "$elapsed" -ge "$PG_WAIT_SECONDS" ]; then
      die "PostgreSQL at DATABASE_URL not reachable after ${PG_WAIT_SECONDS}s. Start it, fix DATABASE_URL, or unset DATABASE_URL to let this script run a local cluster."
    fi
    if [ $((elapsed / 5)) -ne "$last" ] && [ "$elapsed" -gt 0 ]; then
      last=$((elapsed / 5))
      info "waiting for PostgreSQL ... ${elapsed}s"
    fi
    sleep 1
  done
  psql "$url" -v ON_ERROR_STOP=1 -qtAc 'select 1' >/dev/null ||
    die "PostgreSQL answers but 'select 1' failed with DATABASE_URL (see error above): check user, password and database name."
}

# ---------------------------------------------------------------- local ----
have_server() {
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

install_server() {
  if have_server; then return 0; fi
  info "PostgreSQL server not installed: installing Debian's 'postgresql' package (apt-get) ..."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update >&2 ||
    die "apt-get update failed. Check network access to the Debian mirrors, or set DATABASE_URL to an existing PostgreSQL."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2 9>&- ||
    die "apt-get install postgresql failed (see above). Install it by hand, or set DATABASE_URL to an existing PostgreSQL."
  have_server || die "postgresql installed but no /usr/lib/postgresql/*/bin/postgres found; check the apt output above."
}

# Prints "<version> <cluster> <port> <status>" of the cluster to use:
# the one recorded in the marker, else 'main' of the newest version, else the first one.
pick_cluster() {
  local want="" line
  [ -f "$PG_MARKER" ] && want="$(cat "$PG_MARKER")"
  if [ -n "$want" ]; then
    line="$(pg_lsclusters -h | awk -v v="${want% *}" -v c="${want#* }" '$1==v && $2==c {print $1, $2, $3, $4; exit}')"
    [ -n "$line" ] && { echo "$line"; return 0; }
  fi
  line="$(pg_lsclusters -h | awk '$2=="main" {print $1, $2, $3, $4}' | sort -V | tail -n1)"
  [ -n "$line" ] && { echo "$line"; return 0; }
  pg_lsclusters -h | awk '{print $1, $2, $3, $4}' | sort -V | tail -n1
}

run_psql_admin() {
  # psql as the postgres superuser over the local Unix socket (peer auth).
  local port="$1"
  shift
  if [ "$(id -u)" -eq 0 ]; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u postgres -- psql -p "$port" -X -v ON_ERROR_STOP=1 -qtA "$@"
    else
      su postgres -s /bin/sh -c "psql -p '$port' -X -v ON_ERROR_STOP=1 -qtA $(printf "'%s' " "$@")"
    fi
  else
    sudo -u postgres psql -p "$port" -X -v ON_ERROR_STOP=1 -qtA "$@"
  fi
}

ensure_role_and_dbs() {
  local port="$1" db
  # (psql run as the postgres user: keep cwd readable for it.)
  cd /
  if [ "$(run_psql_admin "$port" -c "SELECT 1 FROM pg_roles WHERE rolname='$PG_ROLE'")" != "1" ]; then
    info "creating role $PG_ROLE"
    run_psql_admin "$port" -c "CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
  else
    # Keep it usable even if someone changed it.
    run_psql_admin "$port" -c "ALTER ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
  fi
  for db in "${PG_DATABASES[@]}"; do
    if [ "$(run_psql_admin "$port" -c "SELECT 1 FROM pg_database WHERE datname='$db'")" != "1" ]; then
      info "creating database $db (owner $PG_ROLE)"
      run_psql_admin "$port" -c "CREATE DATABASE $db OWNER $PG_ROLE"
    fi
  done
  cd - >/dev/null
}

local_url() {
  echo "postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$1/hookstream"
}

cmd_start() {
  if [ -n "${DATABASE_URL:-}" ]; then
    info "DATABASE_URL is set: using existing PostgreSQL (not starting a local cluster)"
    wait_url "$DATABASE_URL"
    info "PostgreSQL is ready"
    echo "$DATABASE_URL"
    return 0
  fi
  install_server
  command -v pg_lsclusters >/dev/null 2>&1 ||
    die "pg_lsclusters not found (Debian postgresql-common). Install: apt-get install -y postgresql"

  local cl ver name port status
  cl="$(pick_cluster)"
  if [ -z "$cl" ]; then
    ver="$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sed -E 's#.*/postgresql/([^/]+)/bin/postgres#\1#' | sort -V | tail -n1)"
    info "no PostgreSQL cluster exists: creating cluster $ver/main"
    as_root pg_createcluster "$ver" main >&2 9>&- || die "pg_createcluster $ver main failed (see above)."
    cl="$(pick_cluster)"
  fi
  read -r ver name port status <<<"$cl"
  mkdir -p "$HOOKSTREAM_STATE"
  echo "$ver $name" >"$PG_MARKER"

  if [ "$status" = "online" ]; then
    info "PostgreSQL $ver/$name already running on port $port"
  else
    info "starting PostgreSQL $ver/$name on port $port ..."
    as_root pg_ctlcluster "$ver" "$name" start >&2 9>&- ||
      die "pg_ctlcluster $ver $name start failed. See /var/log/postgresql/postgresql-$ver-$name.log"
  fi

  local start=$SECONDS last=-1 elapsed
  while ! pg_isready -q -h 127.0.0.1 -p "$port" -t 2 >/dev/null 2>&1; do
    elapsed=$((SECONDS - start))
    [ "$elapsed" -lt "$PG_WAIT_SECONDS" ] ||
      die "PostgreSQL $ver/$name not accepting connections on 127.0.0.1:$port after ${PG_WAIT_SECONDS}s. See /var/log/postgresql/postgresql-$ver-$name.log (listen_addresses must include localhost)."
    if [ $((elapsed / 5)) -ne "$last" ] && [ "$elapsed" -gt 0 ]; then
      last=$((elapsed / 5))
      info "waiting for PostgreSQL ... ${elapsed}s"
    fi
    sleep 1
  done

  ensure_role_and_dbs "$port"
  local url
  url="$(local_url "$port")"
  PGCONNECT_TIMEOUT=5 psql "$url" -X -v ON_ERROR_STOP=1 -qtAc 'select 1' >/dev/null ||
    die "password login over TCP failed for $url. Check /etc/postgresql/$ver/$name/pg_hba.conf has 'host all all 127.0.0.1/32 scram-sha-256' (then: pg_ctlcluster $ver $name reload)."
  info "PostgreSQL ready: DATABASE_URL=$url (test database: hookstream_test)"
  echo "$url"
}

cmd_stop() {
  if [ -n "${DATABASE_URL:-}" ]; then
    info "DATABASE_URL is set (external PostgreSQL): nothing to stop"
    return 0
  fi
  if [ ! -f "$PG_MARKER" ]; then
    info "no local PostgreSQL cluster was started by these scripts: nothing to stop"
    return 0
  fi
  local ver name status
  read -r ver name <"$PG_MARKER"
  status="$(pg_lsclusters -h 2>/dev/null | awk -v v="$ver" -v c="$name" '$1==v && $2==c {print $4}')"
  if [ "$status" = "online" ]; then
    info "stopping PostgreSQL $ver/$name ..."
    as_root pg_ctlcluster "$ver" "$name" stop >&2 ||
      die "pg_ctlcluster $ver $name stop failed; try: pg_ctlcluster $ver $name stop -m immediate"
    info "PostgreSQL stopped"
  else
    info "PostgreSQL $ver/$name is not running"
  fi
  rm -f "$PG_MARKER"
}

cmd_status() {
  if [ -n "${DATABASE_URL:-}" ]; then
    if pg_isready -q -d "$DATABASE_URL" -t 2; then
      info "using external PostgreSQL (DATABASE_URL): reachable"
      echo "external"
      return 0
    fi
    info "external PostgreSQL (DATABASE_URL) is not reachable"
    echo "unreachable"
    return 1
  fi
  if ! have_server || ! command -v pg_lsclusters >/dev/null 2>&1; then
    info "PostgreSQL is not installed (tools/infra/postgres.sh start installs it)"
    echo "stopped"
    return 3
  fi
  local cl ver name port status
  cl="$(pick_cluster)"
  if [ -z "$cl" ]; then
    info "no PostgreSQL cluster exists (tools/infra/postgres.sh start creates one)"
    echo "stopped"
    return 3
  fi
  read -r ver name port status <<<"$cl"
  if [ "$status" = "online" ] && pg_isready -q -h 127.0.0.1 -p "$port" -t 2; then
    info "PostgreSQL $ver/$name running on 127.0.0.1:$port; DATABASE_URL=$(local_url "$port")"
    echo "running"
    return 0
  fi
  info "PostgreSQL $ver/$name is $status (start it with tools/infra/postgres.sh start)"
  echo "stopped"
  return 3
}

case "${1:-}" in
  start) with_lock postgres && cmd_start ;;
  stop) with_lock postgres && cmd_stop ;;
  status) cmd_status ;;
  *) usage ;;
esac
