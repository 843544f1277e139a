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

# shellcheck source=bench-broker.sh
source "$ROOT/tools/bench/bench-broker.sh"
bench_broker || exit $?

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
