import { dlqOf } from '@hookstream/contracts';
import { DLQ_HEADERS, type CoalescingProducer, type InboundMessage } from '../src';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { PrivatePostgres } from '@hookstream/testing';
import type { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import {
  committedOffsets,
  connectedProducer,
  createTopicPair,
  handlerModule,
  jsonRecord,
  produceRaw,
  readTopic,
  recordCount,
  sleep,
  startConsumer,
  testKafka,
  uniqueName,
  waitFor,
  type RunningConsumer,
} from './support/kafka-harness';

interface Row {
  id: string;
  qty: number;
}

/**
 * A PostgreSQL outage is not the messages' fault: a consumer whose handler writes to a real
 * PostgreSQL (a private instance, stopped and started here) holds its partition while the server
 * is down — nothing dead-lettered, nothing committed, not ready — and handles everything once it
 * is back. A message that fails on its own while PostgreSQL is up still goes to the DLQ.
 */
describe('KafkaBatchTransport during a PostgreSQL outage (real broker, private PostgreSQL)', () => {
  const pg = new PrivatePostgres();
  let pool: Pool;
  let probe: Pool;
  let kafka: Kafka;
  let producer: CoalescingProducer;
  const running: RunningConsumer[] = [];

  const dbHealthy = async (): Promise<{ ok: boolean; detail: string }> => {
    try {
      await probe.query('SELECT 1');
      return { ok: true, detail: 'ok' };
    } catch (err) {
      return { ok: false, detail: `postgres: ${(err as Error).message}` };
    }
  };

  beforeAll(async () => {
    await pg.start();
    pool = new Pool({ connectionString: pg.url(), max: 4, connectionTimeoutMillis: 1000 });
    probe = new Pool({ connectionString: pg.url(), max: 1, connectionTimeoutMillis: 1000 });
    // Idle clients of a stopped server emit 'error'; the next query reports it.
    pool.on('error', () => undefined);
    probe.on('error', () => undefined);
    await pool.query('CREATE TABLE handled (id text PRIMARY KEY, qty int NOT NULL CHECK (qty > 0))');
    kafka = testKafka('it-kafka-pg-outage');
    producer = await connectedProducer(kafka);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(running.splice(0).map((r) => r.app.close()));
    await producer?.disconnect();
    await pool?.end().catch(() => undefined);
    await probe?.end().catch(() => undefined);
    pg.destroy();
  });

  const rows = async (): Promise<number> => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM handled')).rows[0].n);

  it('holds both kinds of consumer while PostgreSQL is down, dead-letters nothing, commits nothing; then handles everything', async () => {
    // One consumer whose errors are recognisable (pg's own), one whose handler hides the cause
    // behind its own error: the second is held because the dependency check fails.
    const direct = await createTopicPair(kafka, 'pg-direct');
    const wrapped = await createTopicPair(kafka, 'pg-wrapped');
    const groupDirect = uniqueName('it-pg-direct');
    const groupWrapped = uniqueName('it-pg-wrapped');
    const insert = async (m: unknown, prefix: string) => {
      const v = (m as InboundMessage).value as Row;
      await pool.query('INSERT INTO handled (id, qty) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [`${prefix}-${v.id}`, v.qty]);
    };
    const direct$ = await startConsumer(handlerModule(direct, (m) => insert(m, 'd')), {
      kafka, producer, groupId: groupDirect, maxAttempts: 3, transientRetryBaseMs: 50, transientRetryMaxMs: 500, dependenciesHealthy: dbHealthy,
    });
    const wrapped$ = await startConsumer(handlerModule(wrapped, async (m) => {
      try {
        await insert(m, 'w');
      } catch {
        throw new Error('could not save');
      }
    }), { kafka, producer, groupId: groupWrapped, maxAttempts: 3, transientRetryBaseMs: 50, transientRetryMaxMs: 500, dependenciesHealthy: dbHealthy });
    running.push(direct$, wrapped$);

    const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => jsonRecord(`k${from + i}`, { id: String(from + i), qty: 1 }));
    await produceRaw(kafka, direct, batch(0, 5));
    await produceRaw(kafka, wrapped, batch(0, 5));
    await waitFor(async () => (await rows()) === 10, { what: 'the first 10 rows' });
    await waitFor(async () => (await committedOffsets(kafka, groupDirect, direct)).get(0) === 5 && (await committedOffsets(kafka, groupWrapped, wrapped)).get(0) === 5, { what: 'offsets 5 committed' });

    pg.stop('fast');
    await produceRaw(kafka, direct, batch(5, 10));
    await produceRaw(kafka, wrapped, batch(5, 10));

    // Held: not ready, naming PostgreSQL.
    const held = await waitFor(async () => {
      const h = await direct$.transport.health();
      return h.ok ? undefined : h;
    }, { timeoutMs: 15_000, what: 'the direct consumer to report it is blocked' });
    expect(held.detail).toMatch(/^blocked on postgres/);
    await waitFor(async () => ((await wrapped$.transport.health()).ok ? undefined : true), { timeoutMs: 20_000, what: 'the wrapped consumer to report it is blocked' });

    // Far longer than today's 3 attempts (100 + 200 ms) would take.
    await sleep(6_000);
    expect(await recordCount(kafka, dlqOf(direct))).toBe(0);
    expect(await recordCount(kafka, dlqOf(wrapped))).toBe(0);
    expect((await committedOffsets(kafka, groupDirect, direct)).get(0)).toBe(5);
    expect((await committedOffsets(kafka, groupWrapped, wrapped)).get(0)).toBe(5);
    expect((await direct$.transport.health()).ok).toBe(false);

    await pg.start();
    await waitFor(async () => (await rows()) === 30, { timeoutMs: 30_000, what: 'all 30 rows after PostgreSQL is back' });
    await waitFor(async () => (await committedOffsets(kafka, groupDirect, direct)).get(0) === 15 && (await committedOffsets(kafka, groupWrapped, wrapped)).get(0) === 15, { what: 'offsets 15 committed' });
    expect(await recordCount(kafka, dlqOf(direct))).toBe(0);
    expect(await recordCount(kafka, dlqOf(wrapped))).toBe(0);
    expect((await direct$.transport.health()).ok).toBe(true);
    expect((await wrapped$.transport.health()).ok).toBe(true);
  }, 90_000);

  it('a message that fails on its own while PostgreSQL is up goes to the DLQ, naming the consumer group', async () => {
    const topic = await createTopicPair(kafka, 'pg-poison');
    const groupId = uniqueName('it-pg-poison');
    running.push(await startConsumer(handlerModule(topic, async (m) => {
      const v = (m as InboundMessage).value as Row;
      await pool.query('INSERT INTO handled (id, qty) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [`p-${v.id}`, v.qty]);
    }), { kafka, producer, groupId, maxAttempts: 3, dependenciesHealthy: dbHealthy }));

    await produceRaw(kafka, topic, [jsonRecord('a', { id: 'ok1', qty: 1 }), jsonRecord('b', { id: 'bad', qty: 0 }), jsonRecord('c', { id: 'ok2', qty: 2 })]);
    const [dead] = await readTopic(kafka, dlqOf(topic), 1);
    expect(dead.headers[DLQ_HEADERS.group]).toBe(groupId);
    expect(dead.headers[DLQ_HEADERS.attempts]).toBe('3');
    expect(dead.headers[DLQ_HEADERS.error]).toMatch(/violates check constraint/);
    await waitFor(async () => (await committedOffsets(kafka, groupId, topic)).get(0) === 3, { what: 'offset 3 committed' });
    const ids = (await pool.query<{ id: string }>("SELECT id FROM handled WHERE id LIKE 'p-%' ORDER BY id")).rows.map((r) => r.id);
    expect(ids).toEqual(['p-ok1', 'p-ok2']);
  }, 60_000);
});
