/*
 * Enricher alone through the real broker: events.valid → enricher (in-process, started by runApp
 * exactly as main.ts starts it) → events.enriched, with a geo-IP lookup on every event.
 *
 *   node -r reflect-metadata -r ts-node/register/transpile-only -r tsconfig-paths/register tools/bench/enricher.bench.ts
 *
 * Method:
 * 1. A fresh consumer group (unique KAFKA_GROUP_SUFFIX) is placed at the current end of
 *    events.valid, so it never re-enriches the topic's history (which would also republish old
 *    events on events.enriched); its lag is checked to be 0 before anything is produced.
 * 2. Up to BENCH_EVENTS canonical events of a unique account are pre-produced (≤ 60 s): random
 *    addresses from allocated public IPv4 blocks (10 % IPv6), N/4 distinct emails (so names repeat),
 *    a fifth of the events carrying names (learned into name_history).
 * 3. The enricher starts and drains them. Timing and CPU are taken inside the app's process, around
 *    its batch handler: from the start of the first batch holding this run's events to the end of
 *    the batch that completes them. A batch ends only after its events were acknowledged on
 *    events.enriched (acks=all), so this is "first to last of our events on events.enriched".
 *    (A reader on events.enriched cannot do it on this shared broker: other engineers' running
 *    enrichers consume events.valid too and publish the same events.)
 * 4. events/s = events / window; CPU/event = process.cpuUsage() delta over the window / events
 *    handled in it (ours plus any foreign ones that arrived meanwhile, reported).
 * Only 127.0.0.1 is targeted (KAFKA_BROKERS / DATABASE_URL default to the local ones).
 */
// First: with OTEL_* set, the OpenTelemetry SDK starts before the app's modules load (as in main.ts).
import '../../apps/enricher/src/tracing';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { kafkaClientFromEnv } from '@hookstream/kafka';
import type { Admin, Producer } from 'kafkajs';
import { groupLag } from './support/kafka-lag';

const ROOT = join(__dirname, '..', '..');
const BROKERS = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://hookstream:hookstream@127.0.0.1:5432/hookstream';
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 200_000);
const PRODUCE_BUDGET_MS = 60_000;
const CONSUME_BUDGET_MS = 120_000;
const TARGET_EPS = 10_000;
const TOPIC_VALID = 'hookstream.events.valid.v1';
const TOPIC_ENRICHED = 'hookstream.events.enriched.v1';
const log = (msg: string): void => console.log(`[bench:enricher] ${msg}`);

/** Publicly allocated IPv4 /8s of every RIR (ARIN, RIPE, APNIC, LACNIC, AFRINIC), so lookups hit. */
const PUBLIC_V4_OCTETS = [
  3, 4, 8, 12, 13, 18, 23, 24, 34, 35, 50, 52, 54, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 96, 97, 98, 99, 104, 107, 108, 173, 174,
  184, 192, 198, 199, 204, 205, 206, 207, 208, 209, 216, 2, 5, 31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93,
  94, 95, 109, 141, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217, 1, 14, 27, 36, 39, 42, 49, 58, 59, 60, 61, 101, 103, 106, 110, 111, 112, 113,
  114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 175, 180, 182, 183, 202, 203, 210, 211, 218, 219, 220, 221, 222, 177, 179, 181,
  186, 187, 189, 190, 191, 200, 201, 41, 102, 105, 154, 196, 197,
];
/** Allocated IPv6 prefixes (RIPE 2a00::/12, ARIN 2600::/12, APNIC 2400::/12). */
const PUBLIC_V6_PREFIXES = ['2a0', '260', '240'];

// Test data needs no cryptographic randomness; a cheap generator keeps the producer fast.
const rnd = (n: number): number => Math.floor(Math.random() * n);
const hex = (n: number): string => rnd(n).toString(16);

function randomPublicIp(i: number): string {
  if (i % 10 === 9) return `${PUBLIC_V6_PREFIXES[rnd(PUBLIC_V6_PREFIXES.length)]}${hex(16)}:${hex(0x10000)}:${hex(0x10000)}:${hex(0x10000)}::${hex(0x10000)}`;
  return `${PUBLIC_V4_OCTETS[rnd(PUBLIC_V4_OCTETS.length)]}.${rnd(256)}.${rnd(256)}.${1 + rnd(254)}`;
}

const FIRST = ['john', 'sarah', 'anne-marie', 'oliver', 'emma', 'noah', 'mia', 'lucas', 'sofia', 'liam', 'chloe', 'mateo', 'yuki', 'amara'];
const LAST = ['smith', 'garcia', 'oneil', 'muller', 'tanaka', 'brown', 'rossi', 'kowalski', 'nguyen', 'okafor', 'silva', 'larsen'];
const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

interface BenchEvent {
  id: string;
  occurredAt: string;
  person: { email: string; ip: string; [k: string]: unknown };
  [k: string]: unknown;
}

function canonicalEvent(i: number, run: string, accountId: string, people: number): BenchEvent {
  const who = rnd(people);
  const first = FIRST[who % FIRST.length] ?? 'john';
  const last = LAST[(who >> 4) % LAST.length] ?? 'smith';
  const named = i % 5 === 0;
  const now = new Date().toISOString();
  return {
    id: `evt_${run}${i.toString(36)}`,
    accountId,
    sourceId: 'src_bench',
    type: 'purchase',
    occurredAt: now,
    receivedAt: now,
    initiatedFrom: 'api',
    person: {
      email: `${first}.${last}${who}@example.com`,
      firstName: named ? capital(first) : null,
      lastName: named ? capital(last) : null,
      ip: randomPublicIp(i),
      nameSource: named ? 'payload' : null,
    },
    location: { city: null, state: null, stateCode: null, country: null, countryCode: null, source: null },
    product: null,
    products: [
      { id: String(i), name: 'Socks', link: null, image: null, price: 5, quantity: 2 },
      { id: String(i + 1), name: 'Trainers', link: null, image: null, price: 80, quantity: 1 },
    ],
    amount: 90,
    currency: 'EUR',
    attributes: { channel: 'bench' },
    dialect: 'provesource',
    dedupeKey: `bench:${run}:${i}`,
  };
}

async function placeAtEnd(admin: Admin, groupId: string, topic: string): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.setOffsets({ groupId, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.offset })) });
  return ends.reduce((s, p) => s + Number(p.offset), 0);
}

async function produceAll(producer: Producer, run: string, accountId: string, ips: string[]): Promise<{ produced: number; ms: number }> {
  const t0 = Date.now();
  const chunk = 1000;
  const trace = randomBytes(12).toString('hex');
  let produced = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < EVENTS && Date.now() - t0 < PRODUCE_BUDGET_MS) {
      const from = next;
      next = Math.min(EVENTS, next + chunk);
      const messages = [];
      for (let i = from; i < next; i++) {
        const e = canonicalEvent(i, run, accountId, Math.max(1, Math.floor(EVENTS / 4)));
        if (ips.length < 20_000) ips.push(e.person.ip);
        messages.push({
          key: `${accountId}:${e.person.email}`,
          value: JSON.stringify(e),
          headers: {
            ce_specversion: '1.0', ce_id: e.id, ce_type: 'hookstream.event.purchase', ce_source: '/sources/src_bench',
            ce_time: e.occurredAt, ce_subject: accountId, 'content-type': 'application/json',
            traceparent: `00-${trace}${i.toString(16).padStart(8, '0')}-${hex(2 ** 32).padStart(8, '0')}${hex(2 ** 32).padStart(8, '0')}-01`,
          },
        });
      }
      await producer.send({ topic: TOPIC_VALID, acks: -1, messages });
      produced += messages.length;
      if (produced % 50_000 < chunk) log(`produced ${produced}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return { produced, ms: Date.now() - t0 };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function machine(): { nproc: number; cpuModel: string; totalMemoryGiB: number; node: string; date: string } {
  const cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  return { nproc: cpus().length, cpuModel, totalMemoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, date: new Date().toISOString() };
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const suffix = `-bench-${run}`;
  const enricherGroup = `hookstream-enricher${suffix}`;
  const accountId = `acc_bench_${run}`;

  const kafka = kafkaClientFromEnv('bench-enricher', { ...process.env, KAFKA_BROKERS: BROKERS.join(',') });
  const admin = kafka.admin();
  await admin.connect();
  const topics = await admin.listTopics();
  if (!topics.includes(TOPIC_VALID) || !topics.includes(TOPIC_ENRICHED)) throw new Error('topics missing: start the pipeline or run an int test once (they create them)');
  const history = await placeAtEnd(admin, enricherGroup, TOPIC_VALID);
  const lag = await groupLag(admin, enricherGroup, TOPIC_VALID);
  log(`fresh group ${enricherGroup} placed at the end of ${TOPIC_VALID} (skips ${history} historical events); lag ${lag}`);

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  log(`producing up to ${EVENTS} events to ${TOPIC_VALID} (account ${accountId}, ≤ ${PRODUCE_BUDGET_MS / 1000} s) ...`);
  const ips: string[] = [];
  const { produced, ms: produceMs } = await produceAll(producer, run, accountId, ips);
  await producer.disconnect();
  log(`produced ${produced} events in ${(produceMs / 1000).toFixed(1)} s (${Math.round(produced / (produceMs / 1000))}/s)`);

  // The app's modules load only now, so production above does not pay for them.
  process.env['KAFKA_BROKERS'] = BROKERS.join(',');
  process.env['DATABASE_URL'] = DATABASE_URL;
  process.env['KAFKA_GROUP_SUFFIX'] = suffix;
  process.env['LOG_LEVEL'] = 'warn';
  process.env['HTTP_HOST'] = '127.0.0.1';
  process.env['HTTP_PORT'] = String(await freePort());
  const { loadConfig } = require('@hookstream/config') as typeof import('@hookstream/config');
  const { runApp } = require('@hookstream/platform') as typeof import('@hookstream/platform');
  const { DataSource } = require('@hookstream/db') as typeof import('@hookstream/db');
  const { GeoIpLookup } = require('@hookstream/enrichment') as typeof import('@hookstream/enrichment');
  const { AppModule } = require('../../apps/enricher/src/app.module') as typeof import('../../apps/enricher/src/app.module');
  const { EnricherConfig } = require('../../apps/enricher/src/enricher.config') as typeof import('../../apps/enricher/src/enricher.config');
  const { EnrichmentService } = require('../../apps/enricher/src/enrichment/enrichment.service') as typeof import('../../apps/enricher/src/enrichment/enrichment.service');

  // Around the app's batch handler: a batch resolves only after its events were acknowledged on events.enriched.
  const stats = { startedAt: 0n, endedAt: 0n, cpuStart: process.cpuUsage(), cpu: { user: 0, system: 0 }, ours: 0, foreign: 0, batches: 0 };
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const original = EnrichmentService.prototype.process;
  EnrichmentService.prototype.process = async function (this: InstanceType<typeof EnrichmentService>, messages) {
    let ours = 0;
    for (const m of messages) if (m.value.accountId === accountId) ours++;
    if (ours > 0 && stats.startedAt === 0n) {
      stats.startedAt = process.hrtime.bigint();
      stats.cpuStart = process.cpuUsage();
    }
    const n = await original.call(this, messages);
    if (stats.startedAt !== 0n && stats.endedAt === 0n) {
      stats.ours += ours;
      stats.foreign += messages.length - ours;
      stats.batches++;
      if (stats.ours >= produced) {
        stats.endedAt = process.hrtime.bigint();
        stats.cpu = process.cpuUsage(stats.cpuStart);
        allDone();
      }
    }
    return n;
  };

  // A bench run on a development machine: the public development keys are fine unless set.
  const config = loadConfig(EnricherConfig, { HOOKSTREAM_DEV_INSECURE_KEYS: 'true', ...process.env });
  const bootStart = Date.now();
  const app = await runApp({ appName: 'enricher', module: AppModule.register(config), config, consumer: { groupId: 'hookstream-enricher', maxBatchSize: 1000 } });
  log(`enricher started in ${((Date.now() - bootStart) / 1000).toFixed(1)} s (geo database loaded, migrations checked)`);
  const progress = setInterval(() => log(`enriched ${stats.ours}/${produced}`), 5000);
  let timedOut = false;
  await Promise.race([done, new Promise<void>((r) => setTimeout(() => ((timedOut = true), r()), CONSUME_BUDGET_MS))]);
  clearInterval(progress);
  if (timedOut) {
    stats.endedAt = process.hrtime.bigint();
    stats.cpu = process.cpuUsage(stats.cpuStart);
  }
  const loadAfter = loadavg();
  const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);

  // The same lookup the enricher does, over a sample of the addresses produced: the share of geo hits.
  const geo = await GeoIpLookup.open();
  const geoHits = ips.filter((ip) => geo.lookup(ip) !== null).length;

  // Bench data out of the name table again (the account is unique to this run).
  const deleted: [unknown, number] = await app.get(DataSource).query('DELETE FROM name_history WHERE account_id = $1', [accountId]);
  await app.close();
  const lagAfter = await groupLag(admin, enricherGroup, TOPIC_VALID);
  await admin.disconnect();

  const windowMs = Number(stats.endedAt - stats.startedAt) / 1e6;
  const handled = stats.ours + stats.foreign;
  const eps = Math.round(stats.ours / (windowMs / 1000));
  const cpuUs = stats.cpu.user + stats.cpu.system;
  const cpuUsPerEvent = +(cpuUs / Math.max(1, handled)).toFixed(1);
  const cores = +(cpuUs / 1000 / windowMs).toFixed(2);
  const m = machine();
  const results = {
    bench: 'enricher',
    what: 'events.valid → enricher (in-process, runApp as main.ts) → events.enriched through the local broker and PostgreSQL; a geo-IP lookup on every event',
    events: { produced, enriched: stats.ours, complete: !timedOut, foreignEventsInWindow: stats.foreign, batches: stats.batches, geoHitShareOfSample: +(geoHits / Math.max(1, ips.length)).toFixed(4), nameRowsLearned: deleted[1] },
    throughput: { eventsPerSecond: eps, windowMs: Math.round(windowMs), target: TARGET_EPS, meetsTarget: eps >= TARGET_EPS },
    cpu: { microsPerEvent: cpuUsPerEvent, eventsPerCpuSecond: Math.round(1e6 / Math.max(1, cpuUsPerEvent)), userMs: Math.round(stats.cpu.user / 1000), systemMs: Math.round(stats.cpu.system / 1000), coresUsedByEnricherProcess: cores },
    producer: { eventsPerSecond: Math.round(produced / (produceMs / 1000)), ms: produceMs },
    setup: { maxBatchSize: 1000, partitionsConsumedConcurrently: 3, distinctEmails: Math.floor(EVENTS / 4), namedShare: 0.2, ipv6Share: 0.1, groupLagBefore: lag, groupLagAfter: lagAfter, historySkipped: history },
    memory: { rssMiB },
    load: { before: loadBefore.map((x) => +x.toFixed(2)), after: loadAfter.map((x) => +x.toFixed(2)) },
    machine: m,
  };

  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'enricher.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(
    join(dir, 'enricher.md'),
    [
      '# Bench: enricher (events.valid → events.enriched)',
      '',
      'The enricher app in-process (started by `runApp` as in main.ts) on the real local Kafka and PostgreSQL, a geo-IP lookup on every',
      `event (random addresses from allocated public IPv4 blocks, 10 % IPv6), ${Math.floor(EVENTS / 4)} distinct emails, 20 % of the events carrying names.`,
      'A fresh consumer group is placed at the end of events.valid (lag 0), the events are pre-produced, then the app starts and drains them.',
      'The window runs from the start of the first batch holding this run\'s events to the end of the batch that completes them; a batch ends',
      'only once its events are acknowledged on events.enriched (acks=all). CPU is `process.cpuUsage()` of the enricher\'s process over the window.',
      '',
      '| figure | value |',
      '|---|---|',
      `| events enriched | ${stats.ours} of ${produced}${timedOut ? ' (time budget reached)' : ''}; ${stats.foreign} foreign events in the window |`,
      `| **throughput** | **${eps} events/s** (target ≥ ${TARGET_EPS}: ${eps >= TARGET_EPS ? 'met' : 'NOT met'}) |`,
      `| window | ${(windowMs / 1000).toFixed(2)} s, ${stats.batches} batches |`,
      `| **CPU per event** | **${cpuUsPerEvent} µs** (user ${results.cpu.userMs} ms + system ${results.cpu.systemMs} ms) |`,
      `| cores used by the enricher process | ${cores} (its JavaScript runs on one thread) |`,
      `| events per CPU-second (1e6 / CPU µs per event; what one uncontended core would allow, an extrapolation) | ${results.cpu.eventsPerCpuSecond} |`,
      `| geo hits (same lookup, sample of ${ips.length} produced addresses) | ${((geoHits / Math.max(1, ips.length)) * 100).toFixed(1)} % |`,
      `| pre-production rate | ${results.producer.eventsPerSecond} events/s |`,
      `| process RSS at the end | ${rssMiB} MiB |`,
      `| load average before → after (1/5/15 min) | ${results.load.before.join(' / ')} → ${results.load.after.join(' / ')} |`,
      '',
      `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.totalMemoryGiB} GiB, Node ${m.node}, ${m.date}.`,
      'Kafka, PostgreSQL and the enricher share the machine, and other engineers\' tests and pipelines were running (see the load average).',
      '',
    ].join('\n'),
  );
  log(`${stats.ours} events in ${(windowMs / 1000).toFixed(2)} s: ${eps} events/s, ${cpuUsPerEvent} µs CPU/event, ${cores} cores; load ${loadBefore[0]?.toFixed(1)} → ${loadAfter[0]?.toFixed(1)}`);
  log('wrote bench/results/enricher.json and .md');
}

main()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
