#!/usr/bin/env bash
# Stop the local Kafka and PostgreSQL started by tools/infra/up.sh (idempotent).
set -euo pipefail
INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rc=0
"$INFRA_DIR/kafka.sh" stop || rc=1
"$INFRA_DIR/postgres.sh" stop || rc=1
if [ "$rc" -ne 0 ]; then
  echo "[infra] ERROR: something failed to stop (see above); re-run tools/infra/down.sh or check 'tools/infra/kafka.sh status' / 'tools/infra/postgres.sh status'" >&2
fi
exit "$rc"
