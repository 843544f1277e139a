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
 * 2. N canonical events of a unique account are pre-produced: random addresses from publicly
 *    allocated IPv4 blocks (plus some IPv6), ~N/4 distinct emails, a fifth of events carrying names.
 * 3. The enricher starts; a reader in a CHILD process (so its CPU is not counted as the enricher's)
 *    follows events.enriched and reports the first and last of this run's events.
 * 4. events/s = events / (last − first); CPU/event = this process's process.cpuUsage() delta over
 *    that window / events. Bounded: at most BENCH_EVENTS events, production ≤ 40 s, consumption ≤ 90 s.
 * Only 127.0.0.1 is targeted (KAFKA_BROKERS / DATABASE_URL default to the local ones).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';

const ROOT = join(__dirname, '..', '..');
const BROKERS = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://hookstream:hookstream@127.0.0.1:5432/hookstream';
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 200_000);
const PRODUCE_BUDGET_MS = 40_000;
const CONSUME_BUDGET_MS = 90_000;
const TARGET_EPS = 10_000;
const TOPIC_VALID = 'hookstream.events.valid.v1';
const TOPIC_ENRICHED = 'hookstream.events.enriched.v1';

type ReaderReport =
  | { type: 'ready' }
  | { type: 'first'; at: number }
  | { type: 'progress'; count: number }
  | { type: 'done'; count: number; firstAt: number; lastAt: number; firstTs: number; lastTs: number; geo: number; historyNames: number; emailNames: number; complete: boolean };

// ---------------------------------------------------------------------------------------------
// Reader (child process): follows events.enriched, counts this run's events by key prefix
// ---------------------------------------------------------------------------------------------

async function reader(): Promise<void> {
  const prefix = `${process.env['BENCH_ACCOUNT']}:`;
  let total = Number(process.env['BENCH_TOTAL']);
  const send = (m: ReaderReport): void => void process.send?.(m);
  const kafka = new Kafka({ brokers: BROKERS, clientId: 'bench-enricher-reader', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: String(process.env['BENCH_READER_GROUP']), maxWaitTimeInMs: 100, maxBytes: 50 * 1024 * 1024 });
  let count = 0;
  let geo = 0;
  let historyNames = 0;
  let emailNames = 0;
  let firstAt = 0;
  let lastAt = 0;
  let firstTs = Number.MAX_SAFE_INTEGER;
  let lastTs = 0;
  let finished = false;
  const finish = (complete: boolean): void => {
    if (finished) return;
    finished = true;
    send({ type: 'done', count, firstAt, lastAt, firstTs, lastTs, geo, historyNames, emailNames, complete });
  };
  process.on('message', (m: { type: string; total?: number }) => {
    if (m.type === 'stop') finish(false);
    // Production may have stopped early at its time budget.
    if (m.type === 'total' && m.total !== undefined) {
      total = m.total;
      if (count >= total) finish(true);
    }
  });
  consumer.on(consumer.events.GROUP_JOIN, () => send({ type: 'ready' }));
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPIC_ENRICHED] });
  await consumer.run({
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        if (m.key === null || !m.key.toString('utf8').startsWith(prefix) || m.value === null) continue;
        const now = Date.now();
        if (count === 0) {
          firstAt = now;
          send({ type: 'first', at: now });
        }
        count++;
        lastAt = now;
        const ts = Number(m.timestamp);
        if (ts < firstTs) firstTs = ts;
        if (ts > lastTs) lastTs = ts;
        // Cheap checks on the raw JSON: enough to count outcomes without parsing every event.
        const v = m.value.toString('utf8');
        if (v.includes('"source":"geoip"')) geo++;
        if (v.includes('"nameSource":"history"')) historyNames++;
        else if (v.includes('"nameSource":"email"')) emailNames++;
        if (count % Math.max(1, Math.floor(total / 10)) === 0) send({ type: 'progress', count });
      }
      if (count >= total) finish(true);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Driver (this process): the enricher app + the pre-produced events
// ---------------------------------------------------------------------------------------------

/** Publicly allocated IPv4 /8s of every RIR (ARIN, RIPE, APNIC, LACNIC, AFRINIC), so lookups hit. */
const PUBLIC_V4_OCTETS = [
  3, 4, 8, 12, 13, 18, 23, 24, 34, 35, 50, 52, 54, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 96, 97, 98, 99, 104, 107, 108, 173, 174,
  184, 192, 198, 199, 204, 205, 206, 207, 208, 209, 216, 2, 5, 31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93,
  94, 95, 109, 141, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217, 1, 14, 27, 36, 39, 42, 49, 58, 59, 60, 61, 101, 103, 106, 110, 111, 112, 113,
  114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 175, 180, 182, 183, 202, 203, 210, 211, 218, 219, 220, 221, 222, 177, 179, 181,
  186, 187, 189, 190, 191, 200, 201, 41, 102, 105, 154, 196, 197,
];
/** Allocated IPv6 prefixes (RIPE 2a00::/12, ARIN 2600::/12, APNIC 2400::/12) for one event in ten. */
const PUBLIC_V6_PREFIXES = ['2a0', '260', '240'];

function randomPublicIp(i: number): string {
  if (i % 10 === 9) {
    const p = PUBLIC_V6_PREFIXES[randomInt(PUBLIC_V6_PREFIXES.length)];
    const h = (): string => randomInt(0x10000).toString(16);
    return `${p}${randomInt(16).toString(16)}:${h()}:${h()}:${h()}::${h()}`;
  }
  const a = PUBLIC_V4_OCTETS[randomInt(PUBLIC_V4_OCTETS.length)];
  return `${a}.${randomInt(256)}.${randomInt(256)}.${1 + randomInt(254)}`;
}

const FIRST = ['john', 'sarah', 'anne-marie', 'oliver', 'emma', 'noah', 'mia', 'lucas', 'sofia', 'liam', 'chloe', 'mateo', 'yuki', 'amara'];
const LAST = ['smith', 'garcia', 'oneil', 'muller', 'tanaka', 'brown', 'rossi', 'kowalski', 'nguyen', 'okafor', 'silva', 'larsen'];

function canonicalEvent(i: number, accountId: string, people: number): Record<string, unknown> {
  const who = randomInt(people);
  const first = FIRST[who % FIRST.length];
  const last = LAST[(who >> 4) % LAST.length];
  const email = `${first}.${last}${who}@example.com`;
  // A fifth of events state a name (learned into name_history); the others rely on history or the email.
  const named = i % 5 === 0;
  const now = new Date().toISOString();
  return {
    id: `evt_${Date.now().toString(36)}${i.toString(36)}${randomBytes(4).toString('hex')}`,
    accountId,
    sourceId: 'src_bench',
    type: 'purchase',
    occurredAt: now,
    receivedAt: now,
    initiatedFrom: 'api',
    person: {
      email,
      firstName: named ? first.charAt(0).toUpperCase() + first.slice(1) : null,
      lastName: named ? last.charAt(0).toUpperCase() + last.slice(1) : null,
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
    dedupeKey: `bench:${i}`,
  };
}

async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  let lag = 0;
  for (const e of ends) {
    const c = committed?.partitions.find((p) => p.partition === e.partition);
    const at = c === undefined || c.offset === '-1' ? 0 : Number(c.offset);
    lag += Number(e.offset) - at;
  }
  return lag;
}

async function placeAtEnd(admin: Admin, groupId: string, topic: string): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.setOffsets({ groupId, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.offset })) });
  return ends.reduce((s, p) => s + Number(p.offset), 0);
}

async function produceAll(producer: Producer, accountId: string): Promise<{ produced: number; ms: number }> {
  const t0 = Date.now();
  const chunk = 2000;
  let produced = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < EVENTS && Date.now() - t0 < PRODUCE_BUDGET_MS) {
      const from = next;
      next = Math.min(EVENTS, next + chunk);
      const messages = [];
      for (let i = from; i < next; i++) {
        const e = canonicalEvent(i, accountId, Math.max(1, Math.floor(EVENTS / 4)));
        const person = e['person'] as { email: string };
        messages.push({
          key: `${accountId}:${person.email}`,
          value: JSON.stringify(e),
          headers: {
            ce_specversion: '1.0', ce_id: String(e['id']), ce_type: 'hookstream.event.purchase', ce_source: '/sources/src_bench',
            ce_time: String(e['occurredAt']), ce_subject: accountId, 'content-type': 'application/json',
            traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
          },
        });
      }
      await producer.send({ topic: TOPIC_VALID, acks: -1, messages });
      produced += messages.length;
    }
  };
  await Promise.all([worker(), worker(), worker()]);
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

function machine(): Record<string, unknown> {
  const cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  return { nproc: cpus().length, cpuModel, totalMemoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, date: new Date().toISOString() };
}

function waitForReport<T extends ReaderReport['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<ReaderReport, { type: T }> | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('message', on);
      resolve(undefined);
    }, timeoutMs);
    const on = (m: ReaderReport): void => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m as Extract<ReaderReport, { type: T }>);
    };
    child.on('message', on);
  });
}

async function driver(): Promise<void> {
  const log = (msg: string): void => console.log(`[bench:enricher] ${msg}`);
  const loadBefore = loadavg();
  const suffix = `-bench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const enricherGroup = `hookstream-enricher${suffix}`;
  const readerGroup = `bench-enricher-reader${suffix}`;
  const accountId = `acc_bench${suffix}`;

  const kafka = new Kafka({ brokers: BROKERS, clientId: 'bench-enricher', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topics = await admin.listTopics();
  if (!topics.includes(TOPIC_VALID) || !topics.includes(TOPIC_ENRICHED)) throw new Error('topics missing: start the pipeline or run an int test once (they create them)');
  const history = await placeAtEnd(admin, enricherGroup, TOPIC_VALID);
  await placeAtEnd(admin, readerGroup, TOPIC_ENRICHED);
  const lag = await groupLag(admin, enricherGroup, TOPIC_VALID);
  log(`fresh group ${enricherGroup} placed at the end of ${TOPIC_VALID} (skips ${history} historical events); lag ${lag}`);
  if (lag !== 0) log(`warning: lag is ${lag} (someone else is producing to ${TOPIC_VALID}); their events are enriched too`);

  const child = fork(__filename, ['reader'], {
    execArgv: process.execArgv,
    env: { ...process.env, BENCH_ACCOUNT: accountId, BENCH_TOTAL: String(EVENTS), BENCH_READER_GROUP: readerGroup },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  if ((await waitForReport(child, 'ready', 30_000)) === undefined) throw new Error('reader did not join its group');

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  log(`producing ${EVENTS} events to ${TOPIC_VALID} (account ${accountId}) ...`);
  const { produced, ms: produceMs } = await produceAll(producer, accountId);
  await producer.disconnect();
  log(`produced ${produced} events in ${(produceMs / 1000).toFixed(1)} s (${Math.round(produced / (produceMs / 1000))}/s)`);
  child.send({ type: 'total', total: produced });

  // The app itself, started the way main.ts starts it.
  process.env['KAFKA_BROKERS'] = BROKERS.join(',');
  process.env['DATABASE_URL'] = DATABASE_URL;
  process.env['KAFKA_GROUP_SUFFIX'] = suffix;
  process.env['LOG_LEVEL'] = 'warn';
  process.env['HTTP_HOST'] = '127.0.0.1';
  process.env['HTTP_PORT'] = String(await freePort());
  // Loaded only now so the reader child never pays for Nest, the geo database or TypeORM.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { loadConfig } = require('@hookstream/config') as typeof import('@hookstream/config');
  const { runApp } = require('@hookstream/platform') as typeof import('@hookstream/platform');
  const { AppModule } = require('../../apps/enricher/src/app.module') as typeof import('../../apps/enricher/src/app.module');
  const { EnricherConfig } = require('../../apps/enricher/src/enricher.config') as typeof import('../../apps/enricher/src/enricher.config');
  const { DataSource } = require('@hookstream/db') as typeof import('@hookstream/db');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const config = loadConfig(EnricherConfig);
  const firstP = waitForReport(child, 'first', CONSUME_BUDGET_MS);
  const doneP = waitForReport(child, 'done', CONSUME_BUDGET_MS + 30_000);
  child.on('message', (m: ReaderReport) => {
    if (m.type === 'progress') log(`enriched ${m.count}/${produced}`);
  });
  const bootStart = Date.now();
  const app = await runApp({ appName: 'enricher', module: AppModule.register(config), config, consumer: { groupId: 'hookstream-enricher', maxBatchSize: 1000 } });
  log(`enricher started in ${((Date.now() - bootStart) / 1000).toFixed(1)} s (geo database loaded, migrations checked)`);

  const first = await firstP;
  if (first === undefined) throw new Error('no enriched event appeared within the budget');
  const cpuStart = process.cpuUsage();
  const wallStart = process.hrtime.bigint();
  const stopTimer = setTimeout(() => child.send({ type: 'stop' }), Math.max(0, CONSUME_BUDGET_MS - (Date.now() - first.at)));
  const done = await doneP;
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = Number(process.hrtime.bigint() - wallStart) / 1e6;
  clearTimeout(stopTimer);
  if (done === undefined) throw new Error('reader never reported');
  const loadAfter = loadavg();
  const memRssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);

  const spanMs = Math.max(1, done.lastAt - done.firstAt);
  const spanTsMs = Math.max(1, done.lastTs - done.firstTs);
  const eps = Math.round((done.count - 1) / (spanMs / 1000));
  const epsByRecordTime = Math.round((done.count - 1) / (spanTsMs / 1000));
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const cpuUsPerEvent = +(((cpu.user + cpu.system) / done.count)).toFixed(2);
  const cpuCores = +(cpuMs / wallMs).toFixed(2);

  // Bench data out of the name table again (the account is unique to this run).
  const learnedRows: [unknown, number] = await app.get(DataSource).query('DELETE FROM name_history WHERE account_id = $1', [accountId]);
  const learned = { rowCount: learnedRows[1] };
  await app.close();
  child.kill();
  const consumedByGroup = await groupLag(admin, enricherGroup, TOPIC_VALID);
  await admin.disconnect();

  const results = {
    bench: 'enricher',
    what: 'events.valid → enricher (in-process, runApp) → events.enriched through the local broker; geo-IP lookup on every event',
    events: { produced, enriched: done.count, complete: done.complete, geoLocated: done.geo, namesFromHistory: done.historyNames, namesFromEmail: done.emailNames, namesLearnedRows: learned.rowCount },
    throughput: { eventsPerSecond: eps, eventsPerSecondByRecordTimestamps: epsByRecordTime, windowMs: spanMs, target: TARGET_EPS, meetsTarget: eps >= TARGET_EPS },
    cpu: { microsPerEvent: cpuUsPerEvent, userMs: Math.round(cpu.user / 1000), systemMs: Math.round(cpu.system / 1000), coresUsedByEnricherProcess: cpuCores },
    producer: { eventsPerSecond: Math.round(produced / (produceMs / 1000)), ms: produceMs },
    setup: { partitions: 'topic default (KAFKA_TOPIC_PARTITIONS)', maxBatchSize: 1000, distinctEmails: Math.floor(EVENTS / 4), namedShare: 0.2, ipv6Share: 0.1, readerInChildProcess: true, groupLagAfterRun: consumedByGroup },
    memory: { rssMiB: memRssMiB },
    load: { before: loadBefore.map((x) => +x.toFixed(2)), after: loadAfter.map((x) => +x.toFixed(2)) },
    machine: machine(),
  };

  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'enricher.json'), `${JSON.stringify(results, null, 2)}\n`);
  const m = results.machine as { nproc: number; cpuModel: string; totalMemoryGiB: number; node: string; date: string };
  writeFileSync(
    join(dir, 'enricher.md'),
    [
      '# Bench: enricher (events.valid → events.enriched)',
      '',
      `The enricher app in-process (started by \`runApp\` as in main.ts), real local Kafka and PostgreSQL, a geo-IP lookup on every event`,
      `(random addresses from allocated public IPv4 blocks, 10 % IPv6), ${Math.floor(EVENTS / 4)} distinct emails, 20 % of events carrying names.`,
      'A fresh consumer group is placed at the end of events.valid first (lag 0), then the events are pre-produced, then the app starts.',
      'Throughput is measured from the first to the last of this run\'s events seen on events.enriched by a reader in a child process;',
      'CPU is `process.cpuUsage()` of the enricher\'s process over that window, divided by the events.',
      '',
      '| figure | value |',
      '|---|---|',
      `| events enriched | ${done.count} of ${produced}${done.complete ? '' : ' (budget reached)'} |`,
      `| **throughput** | **${eps} events/s** (target ≥ ${TARGET_EPS}: ${eps >= TARGET_EPS ? 'met' : 'NOT met'}) |`,
      `| throughput by record timestamps | ${epsByRecordTime} events/s |`,
      `| window | ${(spanMs / 1000).toFixed(2)} s |`,
      `| **CPU per event** | **${cpuUsPerEvent} µs** (user ${Math.round(cpu.user / 1000)} ms + system ${Math.round(cpu.system / 1000)} ms) |`,
      `| cores used by the enricher process | ${cpuCores} |`,
      `| located by geo-IP | ${done.geo} (${((done.geo / done.count) * 100).toFixed(1)} %) |`,
      `| names from history / from email | ${done.historyNames} / ${done.emailNames} |`,
      `| pre-production rate | ${results.producer.eventsPerSecond} events/s |`,
      `| enricher RSS at the end | ${memRssMiB} MiB |`,
      `| load average before → after (1/5/15 min) | ${results.load.before.join(' / ')} → ${results.load.after.join(' / ')} |`,
      '',
      `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.totalMemoryGiB} GiB, Node ${m.node}, ${m.date}. Kafka, PostgreSQL, the reader and the enricher share the machine;`,
      'other engineers\' tests may have been running (see the load average).',
      '',
    ].join('\n'),
  );
  log(`${done.count} events: ${eps} events/s (record timestamps: ${epsByRecordTime}/s), ${cpuUsPerEvent} µs CPU/event, ${cpuCores} cores; geo-located ${done.geo}`);
  log(`wrote bench/results/enricher.json and .md`);
}

if (process.argv[2] === 'reader') {
  reader().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  driver()
    .then(() => process.exit(0))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
