#!/usr/bin/env bash
# Start (or reuse) PostgreSQL and Kafka for Hookstream. Idempotent and fast when already up.
# Progress goes to stderr; stdout gets only `export` lines, so this works:
#   eval "$(tools/infra/up.sh)"
set -euo pipefail
INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
t0=$SECONDS

database_url="$("$INFRA_DIR/postgres.sh" start | tail -n1)" ||
  { echo "[infra] ERROR: PostgreSQL did not start (see above); fix it and re-run tools/infra/up.sh" >&2; exit 1; }
kafka_brokers="$("$INFRA_DIR/kafka.sh" start | tail -n1)" ||
  { echo "[infra] ERROR: Kafka did not start (see above); fix it and re-run tools/infra/up.sh" >&2; exit 1; }

echo "[infra] infrastructure up in $((SECONDS - t0))s" >&2
printf "export KAFKA_BROKERS=%q\n" "$kafka_brokers"
# A secured (KAFKA_SECURITY=sasl_ssl) or replicated (KAFKA_CLUSTER_SIZE) local Kafka: what clients need.
if [ -z "${KAFKA_BROKERS:-}" ]; then
  "$INFRA_DIR/kafka.sh" client-env | while IFS='=' read -r k v; do printf "export %s=%q\n" "$k" "$v"; done
fi
printf "export DATABASE_URL=%q\n" "$database_url"
