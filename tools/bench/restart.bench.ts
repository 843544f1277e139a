/*
 * Restart-to-consuming: how long an app restarted after SIGKILL (a crash) or SIGTERM (a rollout)
 * takes to answer /health/live, to be ready, and to consume again.
 *
 *   npm run bench -- restart        (or BENCH_SKIP_BUILD=1 npm run bench -- restart)
 *
 * Method: the compiled enricher (dist/, started as main.ts starts it) runs with a consumer group of
 * its own, placed at the end of events.valid. For each KAFKA_SESSION_TIMEOUT_MS setting and each
 * signal, BENCH_RESTARTS times: signal the process, wait for it to exit, start it again at t0 and
 * produce one probe record to events.valid; then measure from t0
 *   - live:      the first 200 from GET /health/live;
 *   - ready:     the first 200 from GET /health/ready;
 *   - consuming: the group's committed offset of the probe's partition passes the probe (the new
 *                process handled it: the transport commits only after the handler resolved).
 * Medians are reported. Only 127.0.0.1 is targeted.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IdPrefix, newId } from '@hookstream/contracts';
import { Kafka, logLevel } from 'kafkajs';
import { startGroupAtEnd } from '../../libs/testing/src/kafka-positions';
import { machineInfo } from './support/machine';
import { Child, freePort, ROOT, WORK_DIR } from './support/processes';
import { appNodeFlags } from '../../e2e/support/pipeline';

const BROKERS = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://hookstream:hookstream@127.0.0.1:5432/hookstream';
const RESTARTS = Number(process.env['BENCH_RESTARTS'] ?? 3);
const SESSIONS = (process.env['BENCH_SESSION_TIMEOUTS'] ?? '30000,10000').split(',').map(Number);
const TOPIC_VALID = 'hookstream.events.valid.v1';
const APP = 'enricher';
const GROUP = 'hookstream-enricher';
const log = (msg: string): void => console.log(`[bench:restart] ${msg}`);

interface Sample {
  liveMs: number;
  readyMs: number;
  consumingMs: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)];
};

async function poll(what: string, check: () => Promise<boolean>, t0: number, timeoutMs = 120_000): Promise<number> {
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const httpOk = async (url: string): Promise<boolean> => (await fetch(url, { signal: AbortSignal.timeout(1000) })).status === 200;

function probeEvent(accountId: string, n: number): Record<string, unknown> {
  // A real event id: consumers downstream (automation, control-api's feed) accept it as any other.
  const id = newId(IdPrefix.event);
  return {
    id, accountId, sourceId: 'src_restart_bench', type: 'signup', occurredAt: new Date().toISOString(), receivedAt: new Date().toISOString(), initiatedFrom: 'api',
    person: { email: `probe${n}@example.com`, firstName: 'Probe', lastName: null, ip: null, nameSource: 'payload' },
    location: { city: 'London', state: null, stateCode: null, country: 'United Kingdom', countryCode: 'GB', source: 'payload' },
    product: { id: null, name: null, link: null, image: null, price: null, quantity: null }, products: [], amount: null, currency: null,
    attributes: {}, dialect: 'activly', dedupeKey: `content:${id}`,
  };
}

async function main(): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-restart', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const accountId = `acc_restart_${randomBytes(4).toString('hex')}`;
  const results: { sessionTimeoutMs: number; signal: string; samples: Sample[]; median: Sample }[] = [];
  mkdirSync(WORK_DIR, { recursive: true });
  let n = 0;

  for (const session of SESSIONS) {
    const suffix = `-bench-restart-${randomBytes(4).toString('hex')}`;
    const groupId = `${GROUP}${suffix}`;
    await startGroupAtEnd(kafka, groupId, [TOPIC_VALID]);
    const port = await freePort();
    const env = {
      ...process.env, KAFKA_BROKERS: BROKERS.join(','), DATABASE_URL, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port), LOG_LEVEL: 'warn',
      KAFKA_GROUP_SUFFIX: suffix, KAFKA_SESSION_TIMEOUT_MS: String(session), KAFKA_CREATE_TOPICS: 'false',
      SECRETS_KEY: randomBytes(32).toString('base64'), EMAIL_KEY_SECRET: randomBytes(32).toString('base64'),
    };
    const start = () => new Child(APP, [...appNodeFlags(APP), '-r', './tools/runtime/register.js', `dist/apps/${APP}/src/main.js`], env, join(WORK_DIR, `restart-${APP}-${session}.log`));
    let child = start();
    await poll(`${APP} ready`, () => httpOk(`http://127.0.0.1:${port}/health/ready`), Date.now());
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      const samples: Sample[] = [];
      for (let i = 0; i < RESTARTS; i++) {
        // Let the member settle (a fresh join, heartbeats) before it is killed.
        await new Promise((r) => setTimeout(r, 3000));
        await child.stop(signal);
        const t0 = Date.now();
        child = start();
        const [meta] = await producer.send({ topic: TOPIC_VALID, acks: -1, messages: [{ key: `${accountId}:${n}`, value: JSON.stringify(probeEvent(accountId, n++)) }] });
        const probeOffset = Number(meta.baseOffset);
        const live = poll('live', () => httpOk(`http://127.0.0.1:${port}/health/live`), t0);
        const ready = poll('ready', () => httpOk(`http://127.0.0.1:${port}/health/ready`), t0);
        const consuming = poll('consuming', async () => {
          const [t] = await admin.fetchOffsets({ groupId, topics: [TOPIC_VALID] });
          const p = t.partitions.find((x) => x.partition === meta.partition);
          return p !== undefined && Number(p.offset) > probeOffset;
        }, t0);
        const sample = { liveMs: await live, readyMs: await ready, consumingMs: await consuming };
        log(`session ${session} ms, ${signal} #${i + 1}: live ${sample.liveMs} ms, ready ${sample.readyMs} ms, consuming ${sample.consumingMs} ms`);
        samples.push(sample);
      }
      results.push({
        sessionTimeoutMs: session, signal, samples,
        median: { liveMs: median(samples.map((s) => s.liveMs)), readyMs: median(samples.map((s) => s.readyMs)), consumingMs: median(samples.map((s) => s.consumingMs)) },
      });
    }
    await child.stop('SIGTERM');
  }
  await producer.disconnect();
  await admin.disconnect();

  const out = join(ROOT, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'restart.json'), JSON.stringify({ at: new Date().toISOString(), machine: machineInfo(), app: APP, restarts: RESTARTS, results }, null, 2));
  const md = [
    `# Restart to consuming (${APP}, ${RESTARTS} restarts each, medians)`,
    '',
    '| KAFKA_SESSION_TIMEOUT_MS | signal | /health/live | /health/ready | consuming again |',
    '|---|---|---|---|---|',
    ...results.map((r) => `| ${r.sessionTimeoutMs} | ${r.signal} | ${r.median.liveMs} ms | ${r.median.readyMs} ms | ${r.median.consumingMs} ms |`),
    '',
  ].join('\n');
  writeFileSync(join(out, 'restart.md'), md);
  console.log(md);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
