import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  chooseInfraMode,
  cleanStaleRuns,
  createProjectTopics,
  newRunDir,
  ROOT,
  startKafka,
  startPostgres,
  waitForKafka,
  type KafkaInstance,
  type PostgresInstance,
  type RunDir,
} from './test-infra';

/** What the global teardown stops (it runs in this same process). */
export interface TestInfraRun {
  run: RunDir;
  kafka?: KafkaInstance;
  postgres?: PostgresInstance;
}

const RUN_KEY = '__hookstreamTestInfra';

export function takeTestInfraRun(): TestInfraRun | undefined {
  const g = globalThis as Record<string, unknown>;
  const run = g[RUN_KEY] as TestInfraRun | undefined;
  delete g[RUN_KEY];
  return run;
}

function log(msg: string): void {
  process.stderr.write(`[test-infra] ${msg}\n`);
}

/**
 * Integration/e2e harness: one Kafka broker and one PostgreSQL server of this run's own (see
 * test-infra.ts), never the dev stack's. An explicitly given KAFKA_BROKERS / TEST_DATABASE_URL is
 * used as is; KAFKA_PORT without KAFKA_BROKERS keeps the older per-checkout broker
 * (tools/infra/kafka.sh on that port, state in .local, left running).
 */
export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  cleanStaleRuns();
  const run = newRunDir();
  const state: TestInfraRun = { run };
  (globalThis as Record<string, unknown>)[RUN_KEY] = state;

  const givenBrokers = process.env['KAFKA_BROKERS'];
  const legacyPort = !givenBrokers && process.env['KAFKA_PORT'];
  const givenDb = process.env['TEST_DATABASE_URL'];
  const needOwn = !givenBrokers || !givenDb;
  const { mode, reason } = needOwn ? chooseInfraMode() : { mode: 'processes' as const, reason: 'KAFKA_BROKERS and TEST_DATABASE_URL given' };
  process.env['HOOKSTREAM_TEST_INFRA_MODE'] = mode;
  if (needOwn) log(`${mode === 'containers' ? 'testcontainers' : 'local processes (fallback)'}: ${reason}`);

  const [kafkaResult, dbResult] = await Promise.allSettled([
    (async (): Promise<string> => {
      if (givenBrokers) {
        await waitForKafka(givenBrokers);
        log(`Kafka: given KAFKA_BROKERS=${givenBrokers}`);
        return givenBrokers;
      }
      if (legacyPort) {
        const out = execFileSync('bash', [join(ROOT, 'tools/infra/kafka.sh'), 'start'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
        const b = out.trim().split('\n').pop() ?? '';
        log(`Kafka: this checkout's broker (KAFKA_PORT=${legacyPort}) at ${b}`);
        return b;
      }
      state.kafka = await startKafka(mode, run);
      log(`Kafka: ${state.kafka.how} at ${state.kafka.brokers}`);
      return state.kafka.brokers;
    })(),
    (async (): Promise<string> => {
      if (givenDb) {
        log('PostgreSQL: given TEST_DATABASE_URL');
        return givenDb;
      }
      state.postgres = await startPostgres(mode, run);
      log(`PostgreSQL: ${state.postgres.how} at ${state.postgres.url.replace(/:[^:@/]+@/, ':***@')}`);
      return state.postgres.url;
    })(),
  ]);
  if (kafkaResult.status === 'rejected' || dbResult.status === 'rejected') {
    // Jest runs no teardown after a failed setup: remove what did start.
    await Promise.allSettled([state.kafka?.destroy(), state.postgres?.destroy()]);
    throw kafkaResult.status === 'rejected' ? kafkaResult.reason : (dbResult as PromiseRejectedResult).reason;
  }
  const brokers = kafkaResult.value;
  const dbUrl = dbResult.value;
  process.env['KAFKA_BROKERS'] = brokers;
  process.env['TEST_DATABASE_URL'] = dbUrl;
  // Tests publish to the project's topics before any app has run (auto-creation is off).
  await createProjectTopics(brokers);
  log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
