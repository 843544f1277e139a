#!/usr/bin/env bash
# `npm start`: installs what is missing, starts local Kafka + PostgreSQL, builds, starts every app
# and a local webhook inbox, seeds a demo tenant and prints a curl that works. Idempotent.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/apps.sh"
cd "$ROOT"
mkdir -p "$LOGS" "$PIDS"
# Node 24 LTS for the apps, as in the images and `npm test` (Node 20 is past its end of life): the
# machine's when it is 24+, else fetched once from the npm registry (tools/dev/ensure-node.sh).
NODE_BIN="$(bash tools/dev/ensure-node.sh)"
export PATH="$NODE_BIN:$PATH"
# kafkajs 2.2.4's negative timeouts warn on Node 23+; patches/ fixes it, this covers older installs.
export NODE_OPTIONS="--disable-warning=TimeoutNegativeWarning${NODE_OPTIONS:+ $NODE_OPTIONS}"

own_broker=$([ -z "${KAFKA_BROKERS:-}" ] && echo 1 || echo 0)
bash tools/dev/ensure-deps.sh
say "starting local Kafka and PostgreSQL…"
infra_env="$(bash tools/infra/up.sh)"  # fails the script if Kafka or PostgreSQL does not come up
eval "$infra_env"
export KAFKA_BROKERS DATABASE_URL

# Keys per checkout, generated once into .local/secrets.env, never committed (the apps refuse the
# public development defaults). A key already in the environment wins.
load_dev_keys
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://127.0.0.1:${PORTS[ingest-gateway]}}"
# The demo inbox and a developer's own receivers run on loopback: allow exactly that, at save time
# (control-api) and at send time (delivery) alike, nothing else.
source "$ROOT/tools/dev/dev-endpoints.env.sh"
export HTTP_HOST="${HTTP_HOST:-127.0.0.1}" LOG_LEVEL="${LOG_LEVEL:-info}"

say "building (tsc)…"
npm run --silent build

say "running migrations and creating Kafka topics…"
node -r ./tools/runtime/register.js dist/libs/db/src/cli/migrate.js >&2
node -r ./tools/runtime/register.js dist/libs/kafka/src/cli/create-topics.js >&2

start() { # name, command…
  local name=$1; shift
  stop_pidfile "$PIDS/$name.pid"
  nohup setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! > "$PIDS/$name.pid"
}

# Groups move only while no member is running: stop the apps of an earlier `npm start` first.
for app in "${APPS[@]}"; do stop_pidfile "$PIDS/$app.pid"; done
if [ "$own_broker" = 1 ] && [ "${HOOKSTREAM_KEEP_BACKLOG:-}" != 1 ]; then
  node tools/dev/skip-backlog.js hookstream-validator hookstream-enricher hookstream-automation hookstream-delivery hookstream-projector
fi

start inbox node tools/dev/inbox.js
for app in "${APPS[@]}"; do
  # The app's Node flags (tools/runtime/node-flags.sh), as in the image and the benches: one word each.
  # shellcheck disable=SC2046
  HTTP_PORT=${PORTS[$app]} start "$app" node $(sh tools/runtime/node-flags.sh "$app") -r ./tools/runtime/register.js "dist/apps/$app/src/main.js"
done

say "waiting for every app to be ready…"
for app in "${APPS[@]}"; do
  port=${PORTS[$app]}
  for i in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$(cat "$PIDS/$app.pid")" 2>/dev/null; then tail -n 30 "$LOGS/$app.log" >&2; die "$app exited during start-up; its log is above ($LOGS/$app.log)."; fi
    [ $((i % 10)) -eq 0 ] && say "  still waiting for $app ($i s)…"
    [ "$i" -eq 120 ] && { tail -n 30 "$LOGS/$app.log" >&2; die "$app did not become ready in 120 s; see $LOGS/$app.log"; }
    sleep 1
  done
  say "  $app ready on :$port"
done

say "seeding the demo tenant…"
node -r ./tools/runtime/register.js dist/apps/control-api/src/cli.js seed-demo \
  --inbox-url "http://127.0.0.1:$INBOX_PORT/hooks/demo" --public-base-url "$PUBLIC_BASE_URL" --json > "$STATE/demo.json"
url=$(node -p "require('$STATE/demo.json').sourceUrl")
apikey=$(node -p "require('$STATE/demo.json').apiKey")
# The Activly example with the current time: sending exactly the same event twice is (rightly) a duplicate.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)

cat <<MSG

Hookstream is running.
  gateway      http://127.0.0.1:${PORTS[ingest-gateway]}    control API  http://127.0.0.1:${PORTS[control-api]}/v1 (OpenAPI at /docs)
  dashboard    http://127.0.0.1:${PORTS[control-api]}/      (log in with the demo API key below)
  logs         $LOGS/<app>.log      webhook inbox log: $LOGS/inbox.log
  demo API key $apikey   (also in $STATE/demo.json)

Send the Activly example event:

curl -i -X POST '$url' \\
  -H 'Content-Type: application/json' \\
  -d '{"event":"purchase","first_name":"Sarah","city":"London","country":"UK","product":"Running Shoes","timestamp":"$now"}'

Then watch it arrive, signed, at the local inbox:   tail -f $LOGS/inbox.log
Stop everything:                                     npm run stop:all
MSG
