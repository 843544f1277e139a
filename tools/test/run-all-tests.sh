#!/usr/bin/env bash
# `npm test`: every check the project has, in order of cost — lint, types, unit tests, then the
# integration and e2e suites against a real local Kafka and PostgreSQL (started if needed).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true
t0=$SECONDS
step() { printf '\n\033[1m[test] %s (%ss elapsed)\033[0m\n' "$*" $((SECONDS - t0)); }

step "dependencies"
bash tools/dev/ensure-deps.sh

step "lint (eslint + Nx module boundaries)"
npx nx show projects >/dev/null
npx eslint . --max-warnings=0

step "type-check (tsc strict)"
npx tsc -p tsconfig.json --noEmit

step "build"
npm run --silent build

step "kustomize (for the k8s manifest test)"
KUSTOMIZE_BIN="$(bash tools/k8s/ensure-kustomize.sh | tail -n1)"
export KUSTOMIZE_BIN

step "unit tests"
npx jest -c jest.config.ts --ci

step "local Kafka + PostgreSQL"
infra_env="$(bash tools/infra/up.sh)"  # fails the script if Kafka or PostgreSQL does not come up
eval "$infra_env"
export KAFKA_BROKERS DATABASE_URL

step "Chromium for the dashboard browser test (Debian package; no browser download)"
if command -v chromium >/dev/null; then
  echo "chromium present: $(command -v chromium)"
else
  echo "installing Debian's chromium (apt-get, as root)…"
  apt-get update -qq && apt-get install -y -qq chromium
  echo "chromium installed: $(command -v chromium)"
fi

step "Prometheus for the metrics e2e test (Debian package)"
if command -v prometheus >/dev/null; then
  echo "prometheus present: $(command -v prometheus)"
else
  echo "installing Debian's prometheus (apt-get, as root)…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus
  echo "prometheus installed: $(command -v prometheus)"
fi

step "integration + e2e tests (real Kafka + PostgreSQL)"
npx jest -c jest.int.config.ts --ci

step "all tests passed in $((SECONDS - t0)) s"
