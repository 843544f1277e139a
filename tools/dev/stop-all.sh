#!/usr/bin/env bash
# `npm run stop:all`: stops the apps (SIGTERM, graceful), the inbox, then Kafka and PostgreSQL.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/apps.sh"
for app in inbox "${APPS[@]}"; do stop_pidfile "$PIDS/$app.pid"; done
say "apps stopped"
[ "${1:-}" = "--apps-only" ] || bash "$ROOT/tools/infra/down.sh"
