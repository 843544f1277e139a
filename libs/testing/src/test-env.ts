import { randomBytes } from 'node:crypto';
import { KafkaClientConfig, kafkaClientSecurity, loadConfig } from '@hookstream/config';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';

function parseBrokers(v: string): string[] {
  return v.split(',').map((b) => b.trim()).filter(Boolean);
}

/** The run's broker, set by the global setup (never a default: that would be the dev stack's). */
export function testBrokers(): string[] {
  const v = process.env['KAFKA_BROKERS'];
  if (!v) throw new Error('KAFKA_BROKERS is not set: run integration tests with `jest -c jest.int.config.ts` (its global setup starts a broker for the run).');
  return parseBrokers(v);
}

/** The run's test database, set by the global setup. */
export function testDatabaseUrl(): string {
  const v = process.env['TEST_DATABASE_URL'];
  if (!v) throw new Error('TEST_DATABASE_URL is not set: run integration tests with `jest -c jest.int.config.ts` (its global setup starts a database server for the run).');
  return v;
}

export function testKafka(clientId = 'hookstream-test', brokers: string[] = testBrokers()): Kafka {
  // Built here rather than through @hookstream/kafka so the kafka lib's own tests can use this harness.
  // TLS and SASL come from the same variables (and the same validation) as the apps'.
  const { ssl, sasl } = kafkaClientSecurity(loadConfig(KafkaClientConfig));
  return new Kafka({
    brokers, clientId, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 200 },
    ...(ssl ? { ssl } : {}), ...(sasl ? { sasl: sasl as SASLOptions } : {}),
  });
}

/** Unique names so tests never see each other's data on the shared broker. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20000);
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
