#!/usr/bin/env bash
# `npm run bench`: builds dist/ (benches drive the compiled apps), then runs every
# tools/bench/*.bench.ts in sequence, each writing bench/results/<name>.{json,md}.
#   npm run bench                 # all benches
#   npm run bench -- gateway      # only tools/bench/gateway.bench.ts (names are globs)
#   BENCH_SKIP_BUILD=1 npm run bench
# Exits non-zero if any bench fails (a missed performance target is reported, not a failure).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export TS_NODE_PROJECT=tsconfig.json
t0=$SECONDS
say() { printf '\n\033[1m[bench] %s (%ss elapsed)\033[0m\n' "$*" $((SECONDS - t0)); }

shopt -s nullglob
benches=()
if [ $# -gt 0 ]; then
  for name in "$@"; do
    matched=(tools/bench/${name%.bench.ts}.bench.ts)
    [ ${#matched[@]} -gt 0 ] || { echo "[bench] no bench matches '$name' (have: $(cd tools/bench && ls *.bench.ts | tr '\n' ' '))" >&2; exit 2; }
    benches+=("${matched[@]}")
  done
else
  benches=(tools/bench/*.bench.ts)
fi
[ ${#benches[@]} -gt 0 ] || { echo "[bench] no tools/bench/*.bench.ts found" >&2; exit 2; }

if [ "${BENCH_SKIP_BUILD:-}" != "1" ]; then
  say "build (npm run build)"
  # tsc emits even when some file in progress elsewhere has a type error; the bench then measures
  # the current sources. Only a missing output is fatal.
  npm run --silent build || echo "[bench] WARNING: the build reported errors; benchmarking what it emitted" >&2
  [ -f dist/apps/ingest-gateway/src/main.js ] || { echo "[bench] build produced no dist/; cannot benchmark" >&2; exit 1; }
fi

# The benches get a broker of their own (port 19092, state in .local/bench-kafka-<port>), never the
# dev stack's: a bench on the dev broker wrote into the topics a later `npm start` consumes. It is
# left running for the next run (a warm JVM; a cold broker costs several times the CPU per event in
# the first minute) and `npm run stop:all` stops it. BENCH_FRESH_KAFKA=1 restarts it with empty
# data; KAFKA_PORT/KAFKA_CONTROLLER_PORT pick other ports (one bench broker per port);
# KAFKA_BROKERS=… uses an existing Kafka instead.
if [ -z "${KAFKA_BROKERS:-}" ]; then
  export KAFKA_PORT="${KAFKA_PORT:-19092}" KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
  if [ "$KAFKA_PORT" = 9092 ] || [ "$KAFKA_CONTROLLER_PORT" = 9093 ]; then
    echo "[bench] KAFKA_PORT=9092/KAFKA_CONTROLLER_PORT=9093 are the dev stack's; pick other ports, or set KAFKA_BROKERS=127.0.0.1:9092 to share its broker on purpose" >&2
    exit 2
  fi
  bench_kafka_state="$ROOT/.local/bench-kafka-$KAFKA_PORT"
  bench_kafka() { HOOKSTREAM_STATE="$bench_kafka_state" bash tools/infra/kafka.sh "$@"; }
  if [ "${BENCH_FRESH_KAFKA:-}" = "1" ]; then
    bench_kafka stop >/dev/null 2>&1 || true
    rm -rf "$bench_kafka_state/kafka/data"
  fi
  say "bench broker on 127.0.0.1:$KAFKA_PORT (state $bench_kafka_state; left running, npm run stop:all stops it)"
  KAFKA_BROKERS="$(bench_kafka start | tail -n1)" || { echo "[bench] the bench broker did not start (see above; log $bench_kafka_state/logs/kafka.log)" >&2; exit 1; }
  export KAFKA_BROKERS
fi

# The benches run the Node.js the apps run under `npm start`, `npm test` and in the images (24,
# fetched once by tools/dev/ensure-node.sh when the machine's is older); BENCH_NODE=system runs the
# machine's own node instead (to compare runtimes). Every result names the version it ran on.
if [ "${BENCH_NODE:-}" != "system" ]; then
  NODE_BIN="$(bash tools/dev/ensure-node.sh)" || { echo "[bench] no Node.js 24 (tools/dev/ensure-node.sh above says why); BENCH_NODE=system runs the machine's node" >&2; exit 1; }
  export PATH="$NODE_BIN:$PATH"
fi
say "benches run on Node $(node --version)"

mkdir -p bench/results
failed=()
i=0
for b in "${benches[@]}"; do
  i=$((i + 1))
  say "bench $i/${#benches[@]}: $b"
  if node -r reflect-metadata -r ts-node/register/transpile-only -r tsconfig-paths/register "$b"; then
    echo "[bench] $b: ok"
  else
    echo "[bench] $b: FAILED" >&2
    failed+=("$b")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  say "${#failed[@]} of ${#benches[@]} bench(es) failed: ${failed[*]}"
  exit 1
fi
say "all ${#benches[@]} bench(es) done; results in bench/results/"
