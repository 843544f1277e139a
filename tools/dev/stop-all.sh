#!/usr/bin/env bash
# `npm run stop:all`: stops the apps (SIGTERM, graceful), the inbox, then Kafka and PostgreSQL,
# and the brokers `npm run bench` left running (.local/bench-kafka-<port>).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/apps.sh"
for app in inbox "${APPS[@]}"; do stop_pidfile "$PIDS/$app.pid"; done
say "apps stopped"
[ "${1:-}" = "--apps-only" ] && exit 0
for state in "$ROOT"/.local/bench-kafka-*; do
  [ -d "$state" ] || continue
  port="${state##*-}"
  HOOKSTREAM_STATE="$state" KAFKA_PORT="$port" KAFKA_CONTROLLER_PORT="$((port + 1))" bash "$ROOT/tools/infra/kafka.sh" stop || true
done
bash "$ROOT/tools/infra/down.sh"
