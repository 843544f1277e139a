# Shared by run-all.sh, stop-all.sh and the e2e harness: the apps, their ports, where state lives.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${HOOKSTREAM_STATE:-$ROOT/.local}"
LOGS="$STATE/logs"
PIDS="$STATE/pids"
APPS=(control-api ingest-gateway validator enricher automation delivery projector)
declare -A PORTS=([ingest-gateway]=3000 [control-api]=3001 [validator]=3002 [enricher]=3003 [automation]=3004 [delivery]=3005 [projector]=3006)
INBOX_PORT="${INBOX_PORT:-3099}"

say() { printf '\033[1m[hookstream]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[hookstream] %s\033[0m\n' "$*" >&2; exit 1; }

stop_pidfile() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

# SECRETS_KEY and EMAIL_KEY_SECRET for this checkout: generated once into $STATE/secrets.env
# (mode 600, never committed) and exported; a value already in the environment wins.
load_dev_keys() {
  local file="$STATE/secrets.env" name value
  mkdir -p "$STATE"
  [ -f "$file" ] || (umask 077; : > "$file")
  for name in SECRETS_KEY EMAIL_KEY_SECRET; do
    [ -n "${!name:-}" ] && continue
    if ! grep -q "^$name=" "$file"; then
      echo "$name=$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')" >> "$file"
    fi
    value="$(grep "^$name=" "$file" | tail -n 1 | cut -d= -f2-)"
    export "$name=$value"
  done
}
