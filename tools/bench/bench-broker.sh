# shellcheck shell=bash
# Sourced by tools/bench/run-all.sh and tools/bench/ab.sh: `bench_broker` exports KAFKA_BROKERS.
# The benches get a broker of their own (port 19092, state in .local/bench-kafka-<port>), never the
# dev stack's: a bench on the dev broker wrote into the topics a later `npm start` consumes. It is
# left running for the next run (a warm JVM; a cold broker costs several times the CPU per event in
# the first minute) and `npm run stop:all` stops it. BENCH_FRESH_KAFKA=1 restarts it with empty
# data; KAFKA_PORT/KAFKA_CONTROLLER_PORT pick other ports (one bench broker per port);
# KAFKA_BROKERS=… uses an existing Kafka instead.
# Needs ROOT (the checkout) and a `say` function.
bench_broker() {
  [ -z "${KAFKA_BROKERS:-}" ] || return 0
  export KAFKA_PORT="${KAFKA_PORT:-19092}" KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
  if [ "$KAFKA_PORT" = 9092 ] || [ "$KAFKA_CONTROLLER_PORT" = 9093 ]; then
    echo "[bench] KAFKA_PORT=9092/KAFKA_CONTROLLER_PORT=9093 are the dev stack's; pick other ports, or set KAFKA_BROKERS=127.0.0.1:9092 to share its broker on purpose" >&2
    return 2
  fi
  local state="$ROOT/.local/bench-kafka-$KAFKA_PORT"
  if [ "${BENCH_FRESH_KAFKA:-}" = "1" ]; then
    HOOKSTREAM_STATE="$state" bash "$ROOT/tools/infra/kafka.sh" stop >/dev/null 2>&1 || true
    rm -rf "$state/kafka/data"
  fi
  say "bench broker on 127.0.0.1:$KAFKA_PORT (state $state; left running, npm run stop:all stops it)"
  KAFKA_BROKERS="$(HOOKSTREAM_STATE="$state" bash "$ROOT/tools/infra/kafka.sh" start | tail -n1)" ||
    { echo "[bench] the bench broker did not start (see above; log $state/logs/kafka.log)" >&2; return 1; }
  export KAFKA_BROKERS
}
