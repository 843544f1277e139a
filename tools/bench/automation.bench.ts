// Automation app alone on the real broker and database: 1 account, 1,000 endpoints, 1,000 rules.
// Run: node -r reflect-metadata -r ts-node/register/transpile-only -r tsconfig-paths/register tools/bench/automation.bench.ts
// Env: BENCH_EVENTS (default 100000), BENCH_MAX_SECONDS (60), BENCH_MIX (realistic | dense), BENCH_CONTACTS (5000),
//      KAFKA_BROKERS (127.0.0.1:9092), DATABASE_URL (the local hookstream database).
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@hookstream/config';
import {
  configKey, emptyLocation, Topics, type AutomationAction, type AutomationSnapshot, type CanonicalEvent, type EndpointSnapshot, type FilterExpr,
} from '@hookstream/contracts';
import { EVENT_PRODUCER, KafkaBatchTransport, kafkaClientFromEnv, RethrowRpcFilter, type EventProducer } from '@hookstream/kafka';
import { KAFKA_CLIENT } from '@hookstream/platform';
import type { Admin, Kafka } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppModule } from '../../apps/automation/src/app.module';
import { AutomationConfig } from '../../apps/automation/src/automation.config';
import { RulesCache } from '../../apps/automation/src/config-cache/rules.cache';
import { CpuMeter, findKafkaPid, machineInfo, roundedLoad } from './support/machine';

const ENDPOINTS = 1_000;
const RULES = 1_000;
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 100_000);
const MAX_SECONDS = Number(process.env['BENCH_MAX_SECONDS'] ?? 60);
const MIX = process.env['BENCH_MIX'] === 'dense' ? 'dense' : 'realistic';
const CONTACTS = Number(process.env['BENCH_CONTACTS'] ?? 5_000);
const BROKERS = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const ROOT = join(__dirname, '..', '..');
const tag = randomBytes(4).toString('hex');
const ACCOUNT = `acc_bench_automation_${tag}`;
const epId = (i: number): string => `ep_${ACCOUNT}_${i}`;

const log = (msg: string): void => console.log(`[automation.bench] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------------------
// Configuration: a deterministic mix (copied from the ideas of libs/rules/bench/match.bench.ts)
// ------------------------------------------------------------------------------------------------

let seed = 42;
const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

const EXACT = ['purchase', 'signup', 'review', 'custom', 'contact.subscribed', 'contact.updated', 'contact.tag_added',
  'contact.tag_removed', 'contact.list_added', 'deal.added', 'deal.updated'];
const RARE = Array.from({ length: 200 }, (_, i) => `app.event_${i}`);
const FILTERS: (FilterExpr | null)[] = [
  null, null, null,
  { path: 'amount', op: 'gte', value: 50 },
  { path: 'location.countryCode', op: 'in', value: ['GB', 'IE', 'US'] },
  { and: [{ path: 'person.email', op: 'contains', value: '@bench.' }, { path: 'product.price', op: 'lt', value: 100 }] },
  { or: [{ path: 'attributes.plan', op: 'eq', value: 'pro' }, { path: 'attributes.tags', op: 'contains', value: 'vip' }] },
];

/**
 * realistic: most of an account's 1,000 endpoints/rules listen to its own custom types, a few to
 * the common ones (0.2% `*`, 1% `contact.*`/`deal.*`, 4% two common exact types).
 * dense: the libs/rules micro-bench mix (0.5% `*`, 2% wildcards, 7.5% common) — a worst case.
 */
const SHARE = MIX === 'dense' ? { all: 0.005, wild: 0.025, common: 0.1 } : { all: 0.002, wild: 0.012, common: 0.052 };
function eventTypes(): string[] {
  const r = rnd();
  if (r < SHARE.all) return ['*'];
  if (r < SHARE.wild) return [pick(['contact.*', 'deal.*'])];
  if (r < SHARE.common) return [pick(EXACT), pick(EXACT)];
  return [pick(RARE), pick(RARE)];
}

const now = new Date().toISOString();
const endpoints: EndpointSnapshot[] = Array.from({ length: ENDPOINTS }, (_, i) => ({
  kind: 'endpoint', id: epId(i), accountId: ACCOUNT, url: `https://hooks.bench.example/${i}`, enabled: true, eventTypes: eventTypes(),
  initiatedFrom: rnd() < 0.2 ? ['public', 'api'] : null, listId: rnd() < 0.1 ? pick(['1', '2', '3']) : null, filter: pick(FILTERS),
  format: 'json', secrets: [], rateLimitPerSecond: null, maxConcurrency: 4, version: 1, updatedAt: now,
}));
const actions = (): AutomationAction[] => {
  const r = rnd();
  if (r < 0.4) return [{ type: 'add_tag', tag: pick(['buyer', 'vip', 'lead', 'reviewer']) }];
  if (r < 0.6) return [{ type: 'add_to_list', listId: pick(['1', '2', '3']) }];
  if (r < 0.8) return [{ type: 'webhook', endpointId: epId(Math.floor(rnd() * ENDPOINTS)) }];
  return [{ type: 'remove_tag', tag: 'lead' }, { type: 'add_tag', tag: 'customer' }];
};
const rules: AutomationSnapshot[] = Array.from({ length: RULES }, (_, i) => ({
  kind: 'automation', id: `aut_${ACCOUNT}_${String(i).padStart(4, '0')}`, accountId: ACCOUNT, name: `rule ${i}`, enabled: true,
  trigger: { eventTypes: eventTypes(), sourceIds: rnd() < 0.3 ? ['src_bench_1'] : null, filter: pick(FILTERS) },
  actions: actions(), version: 1, updatedAt: now,
}));

// External events as sources send them: mostly social-proof types, some CRM ones.
const SAMPLE_TYPES = ['purchase', 'purchase', 'purchase', 'signup', 'review', 'custom', 'contact.updated', 'deal.added'];
function sampleEvents(n: number): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (let i = 0; i < n; i++) {
    const email = `user${i % CONTACTS}.${tag}@bench.example`;
    const e: CanonicalEvent = {
      id: `evt_bench_${tag}_${i.toString(36)}`, accountId: ACCOUNT, sourceId: pick(['src_bench_1', 'src_bench_2']), type: pick(SAMPLE_TYPES),
      occurredAt: '2026-02-28T14:30:00Z', receivedAt: '2026-02-28T14:30:00.120Z', initiatedFrom: pick(['public', 'api', 'admin'] as const),
      person: { email, firstName: pick(['Ann', 'Sarah', 'Tom']), lastName: null, ip: null, nameSource: 'payload' },
      location: { ...emptyLocation(), city: 'London', country: 'United Kingdom', countryCode: pick(['GB', 'US', 'DE']), source: 'payload' },
      product: { id: 'sku_1', name: 'Running Shoes', link: null, image: null, price: Math.floor(rnd() * 200), quantity: 1 },
      products: [], amount: Math.floor(rnd() * 200), currency: 'GBP',
      attributes: { plan: pick(['free', 'pro']), tags: rnd() < 0.2 ? ['vip'] : [], listId: pick(['1', '2', '3', '0']) },
      dialect: 'generic',
    };
    out.push({ key: `${ACCOUNT}:${email}`, value: JSON.stringify(e) });
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Kafka helpers
// ------------------------------------------------------------------------------------------------

async function highs(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
}

async function lag(admin: Admin, group: string, topics: string[]): Promise<bigint> {
  let total = 0n;
  for (const topic of topics) {
    const end = await highs(admin, topic);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    for (const p of committed.partitions) {
      const c = BigInt(p.offset === '-1' ? '0' : p.offset);
      const h = end.get(p.partition) ?? 0n;
      if (h > c) total += h - c;
    }
  }
  return total;
}

/** Counts messages of our account on `topic` between two offset snapshots (keys carry the account id). */
async function countBetween(kafka: Kafka, admin: Admin, topic: string, from: Map<number, bigint>, keyPrefix: string): Promise<{ count: number; lastTs: number }> {
  const to = await highs(admin, topic);
  let remaining = 0n;
  for (const [p, h] of to) remaining += h - (from.get(p) ?? 0n);
  if (remaining === 0n) return { count: 0, lastTs: 0 };
  const group = `bench-automation-count-${tag}-${randomBytes(3).toString('hex')}`;
  await admin.setOffsets({ groupId: group, topic, partitions: [...from].map(([partition, o]) => ({ partition, offset: o.toString() })) });
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100, maxBytes: 50 * 1024 * 1024 });
  let count = 0;
  let lastTs = 0;
  let seen = 0n;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (BigInt(m.offset) >= (to.get(batch.partition) ?? 0n)) continue;
          seen++;
          if (m.key && m.key.toString().startsWith(keyPrefix)) {
            count++;
            lastTs = Math.max(lastTs, Number(m.timestamp));
          }
        }
        if (seen >= remaining) resolve();
      },
    });
  });
  await Promise.race([done, sleep(120_000)]);
  await consumer.disconnect();
  return { count, lastTs };
}

// The producer runs on its own thread so producing N events does not steal the app's event loop.
const PRODUCER_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { Kafka, logLevel, CompressionTypes } = require(workerData.kafkajs);
(async () => {
  const kafka = new Kafka({ brokers: workerData.brokers, clientId: 'bench-automation-producer', logLevel: logLevel.NOTHING, ...require(workerData.securityModule).kafkaSecurityFromEnv() });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const msgs = workerData.messages;
  const t0 = Date.now();
  for (let i = 0; i < msgs.length; i += 2000) {
    await producer.send({ topic: workerData.topic, acks: -1, messages: msgs.slice(i, i + 2000).map((m) => ({ key: m.key, value: m.value,
      headers: { ce_specversion: '1.0', ce_id: 'bench', ce_type: 'hookstream.event.bench', ce_source: '/bench', ce_time: '2026-02-28T14:30:00Z' } })) });
  }
  await producer.disconnect();
  parentPort.postMessage({ ms: Date.now() - t0 });
})().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

function produceInWorker(messages: { key: string; value: string }[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(PRODUCER_WORKER, { eval: true, workerData: { kafkajs: require.resolve('kafkajs'), securityModule: require.resolve('../infra/kafka-client-env.js'), brokers: BROKERS, topic: Topics.eventsEnriched, messages } });
    w.once('message', (m: { ms?: number; error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(m.ms ?? 0)));
    w.once('error', reject);
  });
}

// ------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const loadBefore = roundedLoad();
  const kafka = kafkaClientFromEnv('bench-automation', { ...process.env, KAFKA_BROKERS: BROKERS.join(',') });
  const admin = kafka.admin();
  await admin.connect();

  log(`account ${ACCOUNT}: publishing ${ENDPOINTS} endpoints and ${RULES} rules (mix: ${MIX})`);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const snaps = [...endpoints, ...rules];
  for (let i = 0; i < snaps.length; i += 500) {
    await producer.send({ topic: Topics.config, acks: -1, messages: snaps.slice(i, i + 500).map((s) => ({ key: configKey(s.kind, s.id), value: JSON.stringify(s) })) });
  }
  await producer.disconnect();

  const suffix = `-bench-${tag}`;
  const config = loadConfig(AutomationConfig, {
    KAFKA_BROKERS: BROKERS.join(','), LOG_LEVEL: 'silent', KAFKA_GROUP_SUFFIX: suffix, HOOKSTREAM_DEV_INSECURE_KEYS: 'true',
    ...(process.env['DATABASE_URL'] ? { DATABASE_URL: process.env['DATABASE_URL'] } : {}),
  });
  const groupId = `hookstream-automation${suffix}`;
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), new FastifyAdapter(), { logger: (process.env['BENCH_LOG'] ?? 'error').split(',') as ('error' | 'warn' | 'log')[] });
  const tInit = Date.now();
  await app.init();
  const cache = app.get(RulesCache);
  const missing = snaps.filter((s) => (s.kind === 'endpoint' ? cache.subscriptions.get(s.id) : cache.automations.get(s.id)) === undefined).length;
  if (missing > 0) throw new Error(`${missing} snapshots missing from the cache after init`);
  log(`app ready in ${Date.now() - tInit} ms (config cache holds ${cache.subscriptions.size} endpoints, ${cache.automations.size} rules over all accounts)`);

  // Start at the end of the shared topics (their history belongs to other runs): lag 0 before we start.
  const inputs = [Topics.eventsEnriched, Topics.contactEvents];
  for (const topic of inputs) {
    const h = await highs(admin, topic);
    await admin.setOffsets({ groupId, topic, partitions: [...h].map(([partition, o]) => ({ partition, offset: o.toString() })) });
  }
  const ms = app.connectMicroservice({
    strategy: new KafkaBatchTransport({ kafka: app.get<Kafka>(KAFKA_CLIENT), producer: app.get<EventProducer>(EVENT_PRODUCER), groupId, maxBatchSize: 500 }),
  }, { deferInitialization: true });
  (ms as unknown as { setIsInitHookCalled(v: boolean): void }).setIsInitHookCalled(true);
  ms.useGlobalFilters(new RethrowRpcFilter());
  await app.startAllMicroservices();
  for (let i = 0; (await lag(admin, groupId, inputs)) > 0n; i++) {
    if (i > 100) throw new Error('the app did not catch up to the end of its topics');
    await sleep(200);
  }
  log('consumer at the end of its topics (lag 0)');

  const messages = sampleEvents(EVENTS);
  const start = { enriched: await highs(admin, Topics.eventsEnriched), deliveries: await highs(admin, Topics.deliveries), contact: await highs(admin, Topics.contactEvents) };
  log(`producing ${EVENTS.toLocaleString('en-US')} enriched events (bounded by ${MAX_SECONDS} s)`);
  const meter = new CpuMeter({ kafka: findKafkaPid() });
  const t0 = Date.now();
  const produced = produceInWorker(messages);
  let produceMs: number | undefined;
  void produced.then((msTaken) => (produceMs = msTaken));
  let finished = false;
  let lastLog = t0;
  while (Date.now() - t0 < MAX_SECONDS * 1000) {
    await sleep(100);
    if (produceMs === undefined) continue;
    const l = await lag(admin, groupId, inputs);
    if (Date.now() - lastLog > 5000) {
      log(`  ${((Date.now() - t0) / 1000).toFixed(1)} s: lag ${l}`);
      lastLog = Date.now();
    }
    if (l === 0n) {
      finished = true;
      break;
    }
  }
  const tEnd = Date.now();
  const cpu = meter.stop();
  const cpuCores = { machine: cpu.machineBusyCores, kafkaBroker: cpu.processes['kafka'] ?? null, benchProcess: cpu.processes['autocannon (bench process)'] ?? null };
  await produced;
  // Events consumed = committed offsets on events.enriched since the start (other runs' events on the shared topic are few).
  const [committed] = await admin.fetchOffsets({ groupId, topics: [Topics.eventsEnriched] });
  let consumed = 0n;
  for (const p of committed.partitions) consumed += BigInt(p.offset) - (start.enriched.get(p.partition) ?? 0n);
  await app.close();
  const loadAfter = roundedLoad();

  log('counting what the app produced');
  const dl = await countBetween(kafka, admin, Topics.deliveries, start.deliveries, `ep_${ACCOUNT}_`);
  const ce = await countBetween(kafka, admin, Topics.contactEvents, start.contact, `${ACCOUNT}:`);
  await admin.disconnect();

  const events = Math.min(Number(consumed), EVENTS);
  const seconds = (tEnd - t0) / 1000;
  const result = {
    bench: 'automation',
    description: 'automation app in-process on the real Kafka + PostgreSQL: 1 account, 1,000 endpoints, 1,000 rules; enriched events in, delivery requests and contact events out',
    mix: MIX,
    endpoints: ENDPOINTS,
    rules: RULES,
    distinctContacts: CONTACTS,
    eventsProduced: EVENTS,
    eventsProcessed: events,
    finishedWithinBound: finished,
    seconds: Math.round(seconds * 100) / 100,
    producerSeconds: produceMs === undefined ? null : Math.round(produceMs / 10) / 100,
    eventsPerSecond: Math.round(events / seconds),
    deliveryRequests: dl.count,
    deliveryRequestsPerSecond: Math.round(dl.count / seconds),
    contactEvents: ce.count,
    contactEventsPerSecond: Math.round(ce.count / seconds),
    perEvent: { deliveries: Math.round((dl.count / Math.max(1, events)) * 100) / 100, contactEvents: Math.round((ce.count / Math.max(1, events)) * 100) / 100 },
    targetEventsPerSecond: 10_000,
    metTarget: finished && events / seconds >= 10_000,
    loadAverage: { before: loadBefore, after: loadAfter },
    cpuCoresBusy: cpuCores,
    machine: machineInfo(),
  };
  log(`${events.toLocaleString('en-US')} events in ${seconds.toFixed(1)} s → ${result.eventsPerSecond.toLocaleString('en-US')} events/s, ` +
    `${result.deliveryRequestsPerSecond.toLocaleString('en-US')} delivery requests/s (${result.perEvent.deliveries}/event), ` +
    `${result.contactEventsPerSecond.toLocaleString('en-US')} contact events/s (${result.perEvent.contactEvents}/event)`);

  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const name = MIX === 'dense' ? 'automation-dense' : 'automation';
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const m = result.machine;
  writeFileSync(join(dir, `${name}.md`), [
    `# automation bench (${MIX} mix)`,
    '',
    result.description + '.',
    '',
    '| | |',
    '|---|---|',
    `| events processed | ${events.toLocaleString('en-US')} of ${EVENTS.toLocaleString('en-US')} (${finished ? 'all, lag 0' : `stopped at the ${MAX_SECONDS} s bound`}) |`,
    `| wall time | ${seconds.toFixed(1)} s (producer thread: ${result.producerSeconds ?? '?'} s) |`,
    `| **events/s** | **${result.eventsPerSecond.toLocaleString('en-US')}** (target 10,000: ${result.metTarget ? 'met' : 'missed'}) |`,
    `| **delivery requests/s** | **${result.deliveryRequestsPerSecond.toLocaleString('en-US')}** (${dl.count.toLocaleString('en-US')}; ${result.perEvent.deliveries} per event) |`,
    `| contact events/s | ${result.contactEventsPerSecond.toLocaleString('en-US')} (${ce.count.toLocaleString('en-US')}; ${result.perEvent.contactEvents} per event, planned in the same pass as their cause) |`,
    `| distinct contacts | ${CONTACTS.toLocaleString('en-US')} |`,
    `| CPU during the run (cores busy) | machine ${cpuCores.machine} of ${m.nproc}; Kafka broker ${cpuCores.kafkaBroker}; this process (app + producer thread) ${cpuCores.benchProcess} |`,
    `| load average (1/5/15 min) | before ${loadBefore.join(' / ')}, after ${loadAfter.join(' / ')} |`,
    `| machine | ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, kernel ${m.kernel}, ${m.date} |`,
    '',
  ].join('\n'));
  log(`results in bench/results/${name}.json and .md`);
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
