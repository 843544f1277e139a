#!/usr/bin/env bash
# `npm run bench:ab -- REV_A REV_B`: the pipeline bench for two builds, alternated A B, B A, A B … on
# one warm bench broker, then one table of both (bench/README.md, "Before/after method"). On a
# shared or unsteady machine only runs made side by side like this can be compared.
#   npm run bench:ab -- main .             # `.` = this checkout as it is, uncommitted changes included
#   npm run bench:ab -- 520beb4 HEAD       # any two revisions
#   BENCH_AB_PAIRS=3                       # pairs of runs (default 3), after one warm-up run of A
#   BENCH_AB_NAME=ab                       # results: bench/results/<name>-<a|b>-<i>.{json,md} and <name>.md
# Every knob of the pipeline bench passes through; the defaults here are one load point and no
# profile: BENCH_FANOUTS=1 BENCH_LOAD_POINTS=0.5 BENCH_LATENCY_SECONDS=10 BENCH_PROFILE=0.
# A revision is built once in a worktree under $HOOKSTREAM_CACHE/ab/<commit> (kept for the next
# A/B) that uses this checkout's node_modules: both builds run on the same dependencies, and both are
# measured by this checkout's tools/bench (BENCH_AB_OWN_BENCH=1: each side's own).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
t0=$SECONDS
say() { printf '\n\033[1m[bench:ab] %s (%ss elapsed)\033[0m\n' "$*" $((SECONDS - t0)); }
die() { echo "[bench:ab] $*" >&2; exit 2; }

[ $# -eq 2 ] || die "usage: npm run bench:ab -- REV_A REV_B   (a revision, or . for this checkout as it is)"
PAIRS="${BENCH_AB_PAIRS:-3}"
NAME="${BENCH_AB_NAME:-ab}"
[[ "$PAIRS" =~ ^[1-9][0-9]?$ ]] || die "BENCH_AB_PAIRS must be 1–99 (got '$PAIRS')"
[[ "$NAME" =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "BENCH_AB_NAME must be lower-case letters, digits and dashes (got '$NAME')"
CACHE="${HOOKSTREAM_CACHE:-$HOME/.cache/hookstream}/ab"

# The checkout a side runs in: this one for `.`, else a worktree of the revision, built once.
checkout_of() {
  local rev="$1" sha dir
  if [ "$rev" = . ]; then
    echo "$ROOT"
    return
  fi
  sha="$(git rev-parse --verify --quiet "$rev^{commit}")" || die "'$rev' is not a revision of this repository"
  dir="$CACHE/$sha"
  if ! git diff --quiet "$sha" -- package-lock.json patches; then
    echo "[bench:ab] WARNING: $rev has other dependencies or patches than this checkout; it runs on this checkout's node_modules" >&2
  fi
  local built=1
  if [ ! -f "$dir/dist/apps/ingest-gateway/src/main.js" ]; then
    built=0
    rm -rf "$dir"
    git worktree prune
    mkdir -p "$CACHE"
    git worktree add --detach "$dir" "$sha" >&2 || die "git worktree add $dir $sha failed"
  fi
  # This checkout's node_modules, also for a build that another checkout of the repository made.
  ln -sfn "$ROOT/node_modules" "$dir/node_modules"
  if [ "$built" = 0 ]; then
    say "building $rev ($sha) in $dir" >&2
    (cd "$dir" && npm run --silent build >&2) || die "the build of $rev failed (in $dir)"
  fi
  echo "$dir"
}

label_of() {
  if [ "$1" = . ]; then
    echo "this checkout ($(git rev-parse --short HEAD)$(git diff --quiet HEAD && echo '' || echo ' + uncommitted changes'))"
  else
    local short
    short="$(git rev-parse --short "$1^{commit}")"
    if [[ "$1" == "$short"* ]]; then echo "$short"; else echo "$1 ($short)"; fi
  fi
}

[ -d node_modules ] || die "no node_modules here: run npm ci (or npm start once) first"
DIR_A="$(checkout_of "$1")"
DIR_B="$(checkout_of "$2")"
LABEL_A="$(label_of "$1")"
LABEL_B="$(label_of "$2")"
if [ "$DIR_A" = "$ROOT" ] || [ "$DIR_B" = "$ROOT" ]; then
  say "building this checkout"
  npm run --silent build || die "the build of this checkout failed"
fi

# shellcheck source=bench-broker.sh
source "$ROOT/tools/bench/bench-broker.sh"
bench_broker || exit $?

export BENCH_FANOUTS="${BENCH_FANOUTS:-1}" BENCH_LOAD_POINTS="${BENCH_LOAD_POINTS:-0.5}"
export BENCH_LATENCY_SECONDS="${BENCH_LATENCY_SECONDS:-10}" BENCH_PROFILE="${BENCH_PROFILE:-0}"
mkdir -p bench/results

# Both sides are measured by this checkout's bench (tools/bench: its warm-up, its counters), each
# running its own build and e2e helpers: a revision's own bench may measure differently (before
# 3acd79e it measured the apps while V8 was still compiling them). BENCH_AB_OWN_BENCH=1 runs each
# side's own tools/bench instead.
sync_bench() {
  local dir="$1"
  [ "$dir" != "$ROOT" ] && [ "${BENCH_AB_OWN_BENCH:-0}" != 1 ] || return 0
  if ! diff -rq "$ROOT/tools/bench" "$dir/tools/bench" > /dev/null 2>&1; then
    echo "[bench:ab] $dir: runs this checkout's tools/bench (its own differs; BENCH_AB_OWN_BENCH=1 keeps its own)" >&2
    rm -rf "$dir/tools/bench"
    cp -a "$ROOT/tools/bench" "$dir/tools/bench"
  fi
}
sync_bench "$DIR_A"
sync_bench "$DIR_B"

# One run of the pipeline bench in a side's checkout; its result is copied here.
run() {
  local dir="$1" result="$2"
  say "run $result ($dir)"
  (cd "$dir" && BENCH_SKIP_BUILD=1 BENCH_RESULT_NAME="$result" bash tools/bench/run-all.sh pipeline) ||
    die "the run $result failed (its output is above)"
  if [ "$dir" != "$ROOT" ]; then
    cp "$dir/bench/results/$result".{json,md} bench/results/
  fi
}

# The broker may have just started: its JIT makes the first minute dearer. One run of A warms it,
# and is not compared.
run "$DIR_A" "$NAME-warmup"
files=()
# Pairs in the order A B, B A, A B …: a machine that speeds up or slows down over the runs weighs on
# both builds alike, where A B, A B … would always run B later.
for i in $(seq 1 "$PAIRS"); do
  if [ $((i % 2)) -eq 1 ]; then
    run "$DIR_A" "$NAME-a-$i"
    run "$DIR_B" "$NAME-b-$i"
    files+=("bench/results/$NAME-a-$i.json" "bench/results/$NAME-b-$i.json")
  else
    run "$DIR_B" "$NAME-b-$i"
    run "$DIR_A" "$NAME-a-$i"
    files+=("bench/results/$NAME-b-$i.json" "bench/results/$NAME-a-$i.json")
  fi
done

say "A/B of $PAIRS pairs"
node -r ts-node/register/transpile-only tools/bench/ab/summary.ts "$NAME" "A=$LABEL_A" "B=$LABEL_B" "${files[@]}"
echo
say "table in bench/results/$NAME.md; each run in bench/results/$NAME-{a,b}-<i>.{json,md}"
