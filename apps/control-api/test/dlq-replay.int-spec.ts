import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload, type MicroserviceOptions } from '@nestjs/microservices';
import { IdPrefix, newId, Topics, type RawEventDto } from '@hookstream/contracts';
import { DataSource } from '@hookstream/db';
import { CoalescingProducer, KafkaBatchTransport, type InboundMessage } from '@hookstream/kafka';
import { startGroupAtEnd, testBrokers, testDatabaseUrl, testKafka, uniqueName, waitFor } from '@hookstream/testing';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { INestMicroservice } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { AccountsService } from '../src/accounts/accounts.service';
import { DlqRecorderService } from '@hookstream/dlq-store';
import { startControlApi, type TestApp } from './control-api.harness';

interface DlqMessage {
  id: string;
  topic: string;
  group: string | null;
  error: string | null;
  attempts: number | null;
  state: string;
  handledBy: string | null;
  reason: string | null;
  replayedTo: string | null;
  key: string | null;
}

/** What a second consumer group of events.raw (the validator's place) has seen. */
const otherGroupSeen: string[] = [];

@Controller()
class OtherGroupConsumer {
  @EventPattern(Topics.eventsRaw, { batch: true })
  async handle(@Payload() msgs: InboundMessage[]): Promise<void> {
    for (const m of msgs) otherGroupSeen.push((m.value as { id: string }).id);
  }
}

@Module({ controllers: [OtherGroupConsumer] })
class OtherGroupModule {}

function rawEvent(accountId: string): RawEventDto {
  const receivedAt = new Date();
  return {
    id: newId(IdPrefix.event, receivedAt.getTime()), accountId, sourceId: 'src_dlq', receivedAt: receivedAt.toISOString(), contentType: 'application/json',
    headers: {}, body: { event: 'purchase' }, clientIp: null, idempotencyKey: null, dialect: 'activly', initiatedFrom: 'api',
  };
}

describe('DLQ: dead-lettered for real → listed → replayed to the right group only, or discarded (real Kafka + PostgreSQL)', () => {
  let t: TestApp;
  let ds: DataSource;
  let producer: Producer;
  let other: INestMicroservice;
  let otherProducer: CoalescingProducer;
  let a: { accountId: string; key: string; admin: string; adminKeyId: string };
  let b: { accountId: string; admin: string };

  async function adminKey(accountId: string): Promise<{ key: string; id: string }> {
    const { apiKey, key } = await t.app.get(AccountsService).createApiKey(accountId, 'ops', 'admin');
    return { key, id: apiKey.id };
  }
  const list = async (key: string, query = '') => t.request('GET', `/v1/dlq/messages${query}`, { key });

  beforeAll(async () => {
    t = await startControlApi({ KAFKA_GROUP_SUFFIX: `-${uniqueName('dlq')}`, FEED_STREAM_ENABLED: 'false' }, { consumer: true });
    ds = t.app.get(DataSource);
    const kafka = testKafka(uniqueName('dlq-test'));
    producer = kafka.producer();
    await producer.connect();

    // A second group on events.raw, like the validator next to control-api's feed writer.
    const otherGroup = uniqueName('other-group');
    await startGroupAtEnd(kafka, otherGroup, [Topics.eventsRaw]);
    otherProducer = new CoalescingProducer(kafka);
    await otherProducer.connect();
    other = await NestFactory.createMicroservice<MicroserviceOptions>(OtherGroupModule, { strategy: new KafkaBatchTransport({ kafka, groupId: otherGroup, producer: otherProducer }), logger: false });
    await other.listen();

    const acctA = await t.newAccount();
    const ka = await adminKey(acctA.accountId);
    a = { ...acctA, admin: ka.key, adminKeyId: ka.id };
    const acctB = await t.newAccount();
    b = { accountId: acctB.accountId, admin: (await adminKey(acctB.accountId)).key };
  });

  afterAll(async () => {
    await ds?.query('ALTER TABLE IF EXISTS feed_events_dlq_test RENAME TO feed_events').catch(() => undefined);
    await other?.close();
    await otherProducer?.disconnect();
    await producer?.disconnect();
    await t?.close();
  });

  it('replays a dead letter to the group that failed only, once; discards another with a record; keeps accounts apart', async () => {
    const e1 = rawEvent(a.accountId);
    const f1 = rawEvent(a.accountId);
    const g1 = rawEvent(b.accountId);

    // The feed writer's table disappears: its handler fails for real, 3 attempts, then the DLQ.
    await ds.query('ALTER TABLE feed_events RENAME TO feed_events_dlq_test');
    try {
      await producer.send({ topic: Topics.eventsRaw, messages: [e1, f1, g1].map((e) => ({ key: e.sourceId, value: JSON.stringify(e) })) });
      await waitFor(async () => {
        const ofA = (await list(a.admin)).json<{ data: DlqMessage[] }>().data.length;
        const ofB = (await list(b.admin)).json<{ data: DlqMessage[] }>().data.length;
        return ofA >= 2 && ofB >= 1 ? true : undefined;
      }, { timeoutMs: 60_000, what: 'the dead letters of accounts A (2) and B (1) to be recorded' });
    } finally {
      await ds.query('ALTER TABLE feed_events_dlq_test RENAME TO feed_events');
    }

    const mine = (await list(a.admin, `?topic=${Topics.eventsRaw}`)).json<{ data: (DlqMessage & { detail?: unknown })[] }>().data;
    const details = await Promise.all(mine.map(async (m) => ({ m, value: (await t.request('GET', `/v1/dlq/messages/${m.id}`, { key: a.admin })).json<{ value: string }>().value })));
    const byEvent = new Map(details.map((d) => [(JSON.parse(d.value) as { id: string }).id, d.m]));
    const deadE1 = byEvent.get(e1.id) as DlqMessage;
    const deadF1 = byEvent.get(f1.id) as DlqMessage;
    expect(deadE1).toMatchObject({ topic: Topics.eventsRaw, state: 'pending', attempts: 3 });
    expect(deadE1.error).toMatch(/feed_events/);
    expect(deadE1.group).toMatch(/^ctl-feed/); // the feed writer's group, not the other group's
    expect(deadF1).toBeDefined();
    expect(byEvent.has(g1.id)).toBe(false); // account B's dead letter is not A's to see

    // Account B sees its own, not A's; a write-scoped key sees nothing at all.
    const bList = (await list(b.admin)).json<{ data: DlqMessage[] }>().data.map((d) => d.id);
    expect(bList).not.toContain(deadE1.id);
    expect(bList.length).toBeGreaterThanOrEqual(1);
    expect((await list(a.key)).statusCode).toBe(403);
    expect((await t.request('POST', `/v1/dlq/messages/${deadE1.id}/replay`, { key: b.admin })).statusCode).toBe(404);

    // The other group processed each original exactly once, and has not failed anything.
    await waitFor(() => (otherGroupSeen.includes(g1.id) ? true : undefined), { what: 'the other group to process the originals' });

    const replayed = await t.request('POST', `/v1/dlq/messages/${deadE1.id}/replay`, { key: a.admin });
    expect(replayed.statusCode).toBe(202);
    expect(replayed.json<DlqMessage>()).toMatchObject({ state: 'replayed', handledBy: a.adminKeyId, replayedTo: `${Topics.eventsRaw} for group ${deadE1.group}` });

    // The feed writer now processes it: the event appears in the feed.
    await waitFor(async () => ((await t.request('GET', `/v1/events/${e1.id}`, { key: a.key })).statusCode === 200 ? true : undefined), { timeoutMs: 30_000, what: 'the replayed event in the feed' });
    // A marker after the replay: once the other group has it, it has passed the replay too — unread.
    const marker = rawEvent(b.accountId);
    await producer.send({ topic: Topics.eventsRaw, messages: [{ key: 'marker', value: JSON.stringify(marker) }] });
    await waitFor(() => (otherGroupSeen.includes(marker.id) ? true : undefined), { what: 'the other group to pass the marker' });
    expect(otherGroupSeen.filter((id) => id === e1.id)).toHaveLength(1);

    // Once only.
    const again = await t.request('POST', `/v1/dlq/messages/${deadE1.id}/replay`, { key: a.admin });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ error: { message: string } }>().error.message).toContain('already replayed');

    // Discard: recorded with who, when and why; then it cannot be replayed.
    const discarded = await t.request('POST', `/v1/dlq/messages/${deadF1.id}/discard`, { key: a.admin, body: { reason: 'test event, not needed' } });
    expect(discarded.statusCode).toBe(200);
    expect(discarded.json<DlqMessage>()).toMatchObject({ state: 'discarded', handledBy: a.adminKeyId, reason: 'test event, not needed' });
    expect((await t.request('POST', `/v1/dlq/messages/${deadF1.id}/replay`, { key: a.admin })).statusCode).toBe(409);
    const record = (await list(a.admin, '?state=discarded')).json<{ data: DlqMessage[] }>().data;
    expect(record.map((d) => d.id)).toContain(deadF1.id);
    expect((await t.request('GET', `/v1/events/${f1.id}`, { key: a.key })).statusCode).toBe(404);
    // The pending list no longer shows either.
    const pending = (await list(a.admin)).json<{ data: DlqMessage[] }>().data.map((d) => d.id);
    expect(pending).not.toContain(deadE1.id);
    expect(pending).not.toContain(deadF1.id);
  });

  it('CLI: dlq-list shows an operator every account\'s dead letters; dlq-replay --all replays the pending ones of a topic, once', async () => {
    const h1 = rawEvent(a.accountId);
    await ds.query('ALTER TABLE feed_events RENAME TO feed_events_dlq_test');
    try {
      await producer.send({ topic: Topics.eventsRaw, messages: [{ key: h1.sourceId, value: JSON.stringify(h1) }] });
      await waitFor(async () => ((await list(a.admin)).json<{ data: DlqMessage[] }>().data.length >= 1 ? true : undefined), { timeoutMs: 60_000, what: 'the dead letter to be recorded' });
    } finally {
      await ds.query('ALTER TABLE feed_events_dlq_test RENAME TO feed_events');
    }
    const root = join(__dirname, '../../..');
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['-r', 'reflect-metadata', '-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/control-api/src/cli.ts', ...args], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: testDatabaseUrl(), KAFKA_BROKERS: testBrokers().join(','), HOOKSTREAM_DEV_INSECURE_KEYS: 'true', LOG_LEVEL: 'info', KAFKA_GROUP_SUFFIX: t.config.KAFKA_GROUP_SUFFIX },
      });

    const listed = JSON.parse((await cli('dlq-list', '--account', a.accountId, '--json')).stdout) as { data: DlqMessage[] };
    const dead = listed.data.find((d) => d.state === 'pending');
    expect(dead).toMatchObject({ topic: Topics.eventsRaw, attempts: 3 });
    // Account B's pending dead letter (g1, from the first test) is there for an operator too.
    const all = JSON.parse((await cli('dlq-list', '--json', '--limit', '200')).stdout) as { data: DlqMessage[] };
    expect(all.data.some((d) => d.id === dead?.id)).toBe(true);

    const out = await cli('dlq-replay', '--all', '--account', a.accountId, '--topic', Topics.eventsRaw);
    expect(out.stdout).toContain('1 dead letter(s) replayed');
    await waitFor(async () => ((await t.request('GET', `/v1/events/${h1.id}`, { key: a.key })).statusCode === 200 ? true : undefined), { timeoutMs: 30_000, what: 'the event replayed by the CLI in the feed' });
    const record = (await t.request('GET', `/v1/dlq/messages/${dead?.id}`, { key: a.admin })).json<DlqMessage>();
    expect(record.state).toBe('replayed');
    expect(record.handledBy).toMatch(/^cli:/);
    // Nothing pending left for the account: a second --all replays nothing.
    expect((await cli('dlq-replay', '--all', '--account', a.accountId)).stdout).toContain('0 dead letter(s) replayed');
  });

  it('keeps dead-letter records DLQ_RECORD_RETENTION_DAYS (90), then deletes them', async () => {
    const ins = (id: string, offset: number, age: string) =>
      ds.query(`INSERT INTO dlq_messages (id, dlq_topic, dlq_partition, dlq_offset, source_topic, recorded_at) VALUES ($1, 'it.retention.dlq', 0, $2, 'it.retention', now() - $3::interval)`, [id, offset, age]);
    const old = uniqueName('dlq_old').replace(/-/g, '_');
    const recent = uniqueName('dlq_recent').replace(/-/g, '_');
    await ins(old, Date.now(), '91 days');
    await ins(recent, Date.now() + 1, '89 days');
    expect(await t.app.get(DlqRecorderService).sweep()).toBeGreaterThanOrEqual(1);
    const left: { id: string }[] = await ds.query('SELECT id FROM dlq_messages WHERE id = ANY($1::text[])', [[old, recent]]);
    expect(left.map((r) => r.id)).toEqual([recent]);
  });

  it('lets only an admin key create an admin key', async () => {
    expect((await t.request('POST', '/v1/api-keys', { key: a.key, body: { name: 'x', scope: 'admin' } })).statusCode).toBe(403);
    expect((await t.request('POST', '/v1/api-keys', { key: a.admin, body: { name: 'x', scope: 'admin' } })).statusCode).toBe(201);
  });
});
