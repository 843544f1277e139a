#!/usr/bin/env bash
# `npm test`: every check the project has, in order of cost — lint, types, unit tests, then the
# integration and e2e suites against a Kafka broker and a PostgreSQL server of this run's own
# (containers when a Docker engine can be had, else private local processes), never the dev stack's.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true
t0=$SECONDS
step() { printf '\n\033[1m[test] %s (%ss elapsed)\033[0m\n' "$*" $((SECONDS - t0)); }

step "Node.js 24 (the machine's when it is 24+, else fetched once from the npm registry)"
NODE_BIN="$(bash tools/dev/ensure-node.sh)"
export PATH="$NODE_BIN:$PATH"
echo "node $(node --version) ($(command -v node))"
# kafkajs 2.2.4 sets negative timeouts, which Node 23+ reports on stderr. patches/ fixes it on a
# fresh install; this also covers a node_modules patched before that fix.
export NODE_OPTIONS="--disable-warning=TimeoutNegativeWarning${NODE_OPTIONS:+ $NODE_OPTIONS}"

step "dependencies"
bash tools/dev/ensure-deps.sh

step "lint (eslint + Nx module boundaries; build references and test owners match the Nx graph)"
npx nx show projects >/dev/null
node tools/build/sync-tsconfig-refs.js --check
node tools/build/check-test-owners.js
npx eslint . --max-warnings=0

step "type-check (tsc strict, everything incl. tests) beside the build (tsc -b, per project)"
# Two independent single-threaded compilers on two cores: the type-check writes nothing, the build
# writes dist/; together they take the time of the slower one.
typecheck_log="$(mktemp)"
npx tsc -p tsconfig.json --noEmit >"$typecheck_log" 2>&1 &
typecheck_pid=$!
build_status=0
npm run --silent build || build_status=$?
typecheck_status=0
wait "$typecheck_pid" || typecheck_status=$?
cat "$typecheck_log"
rm -f "$typecheck_log"
[ "$typecheck_status" -eq 0 ] || { echo "type-check failed (above)" >&2; exit 1; }
[ "$build_status" -eq 0 ] || { echo "build failed (above)" >&2; exit 1; }

step "kustomize (for the k8s manifest test)"
KUSTOMIZE_BIN="$(bash tools/k8s/ensure-kustomize.sh | tail -n1)"
export KUSTOMIZE_BIN

step "unit tests"
npx jest -c jest.config.ts --ci

step "Docker engine + images: Kafka and PostgreSQL (the suites' own), the app (compose e2e)"
# Installs docker.io and starts dockerd when missing (root); without an engine the suites fall back
# to private local processes (libs/testing/src/test-infra.ts). HOOKSTREAM_DOCKER=0 skips Docker
# (and the compose e2e). Images whose inputs did not change are not rebuilt.
if bash tools/docker/ensure-docker.sh; then
  bash tools/docker/build-images.sh kafka postgres app
else
  echo "no Docker engine: the suites use private local Kafka and PostgreSQL processes"
  export HOOKSTREAM_TEST_INFRA=processes
fi

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

step "integration + e2e tests (real Kafka + PostgreSQL of this run's own)"
npx jest -c jest.int.config.ts --ci

step "all tests passed in $((SECONDS - t0)) s"
