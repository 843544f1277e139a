# shellcheck shell=bash
# Shared helpers for tools/infra/*.sh (sourced, not executed).
# All progress messages go to stderr so that stdout stays machine-readable
# (e.g. `eval "$(tools/infra/up.sh)"`).

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$INFRA_DIR/../.." && pwd)"
HOOKSTREAM_STATE="${HOOKSTREAM_STATE:-$REPO_ROOT/.local}"
HOOKSTREAM_CACHE="${HOOKSTREAM_CACHE:-$HOME/.cache/hookstream}"

info() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

# port_open HOST PORT -> 0 if something accepts TCP connections there.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# as_root CMD... -> run CMD as root (directly, or with sudo when not root).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root for: $* (no sudo available). Run this script as root, or set DATABASE_URL to an existing PostgreSQL."
  fi
}

# with_lock NAME -> serialize concurrent start/stop runs (several developers/scripts at once).
# The lock is held on fd 9 until the calling script exits; close it (9>&-) for daemons.
with_lock() {
  mkdir -p "$HOOKSTREAM_STATE"
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$HOOKSTREAM_STATE/$1.lock"
  if ! flock -n 9; then
    info "another tools/infra run holds $HOOKSTREAM_STATE/$1.lock; waiting for it (up to 180s) ..."
    flock -w 180 9 || die "timed out waiting for $HOOKSTREAM_STATE/$1.lock; if no other infra script is running, delete that file and retry."
  fi
}
