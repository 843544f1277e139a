#!/usr/bin/env bash
# Installs node dependencies when missing or older than the lockfile, and checks the toolchain.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 24 ] || { echo "[hookstream] Node.js 24 is required (found: $(node --version 2>/dev/null || echo none)); npm start and npm test fetch it themselves (tools/dev/ensure-node.sh)." >&2; exit 1; }
if [ -z "${KAFKA_BROKERS:-}" ]; then
  command -v java >/dev/null || { echo "[hookstream] Java 17+ is required for the local Kafka broker (apt-get install -y openjdk-17-jre-headless), or set KAFKA_BROKERS to an existing Kafka." >&2; exit 1; }
  command -v mvn >/dev/null || { echo "[hookstream] Maven is required to fetch Kafka from Maven Central (apt-get install -y maven), or set KAFKA_BROKERS." >&2; exit 1; }
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[hookstream] installing node dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
