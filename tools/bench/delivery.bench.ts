/*
 * Delivery alone through the real broker and PostgreSQL: deliveries → delivery (compiled dist
 * process, as it runs in production) → local receivers on 127.0.0.1.
 *
 *   node -r reflect-metadata -r ts-node/register/transpile-only -r tsconfig-paths/register tools/bench/delivery.bench.ts
 *   BENCH_EVENTS=2000 BENCH_ENDPOINTS=10 BENCH_CPU_PROF=1 ...   (profile: .local/bench/delivery-*.cpuprofile)
 *
 * Method:
 * 1. A database of its own (created here, dropped at the end; the app migrates it at boot), so
 *    the run measures empty tables and leaves nothing behind. A fresh consumer group (unique
 *    KAFKA_GROUP_SUFFIX) is placed at the end of the deliveries topic and its lag checked to be 0.
 * 2. Receivers run in a CHILD process (their CPU is not the delivery app's): one `http` server per
 *    endpoint answering 200 at once, and one "black hole" that accepts connections and never answers.
 * 3. Endpoints are published as EndpointSnapshots on the config topic (secrets sealed with the
 *    app's SECRETS_KEY), then the delivery app starts (ready = its endpoint cache caught up).
 * 4. Each run produces N events × M endpoints delivery requests straight to `deliveries`, as fast
 *    as the producer goes, `createdAt` (and a copy in `data`) = the time its chunk was produced.
 *    The receiver notes receipt time − that time per delivery (first receipt of each webhook-id).
 *    deliveries/s = unique deliveries received / (last receipt − first request produced).
 * 5. Runs, in one session and one app process: a warm-up, "all healthy" (M endpoints), then
 *    "isolation" (M endpoints, one of them the black hole). The isolation run's healthy endpoints'
 *    p99 is compared with the all-healthy run's p99: it must stay within 1.2×.
 * Bounded: at most BENCH_EVENTS × BENCH_ENDPOINTS requests per run, each run ≤ RUN_BUDGET_MS.
 * Only 127.0.0.1 is targeted.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { Client } from 'pg';
import { configKey, IdPrefix, newId, Topics, type DeliveryRequestDto, type EndpointSnapshot } from '@hookstream/contracts';
import { newWebhookSecret, SecretBox } from '@hookstream/webhooks';
import { kafkaClientFromEnv } from '@hookstream/kafka';
import { dropDatabase } from '@hookstream/testing';
import { summariseCpuProfile } from './support/cpu-profile';
import { CpuMeter, findKafkaPid, machineInfo, postgresServerJiffies, roundedLoad } from './support/machine';
import { freePort, ROOT, waitUntil, WORK_DIR } from './support/processes';
import { groupLag } from './support/kafka-lag';
import { appNodeFlags } from '../../e2e/support/pipeline';

const BROKERS = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://hookstream:hookstream@127.0.0.1:5432/hookstream';
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 2000);
const ENDPOINTS = Number(process.env['BENCH_ENDPOINTS'] ?? 10);
const WARMUP_EVENTS = Number(process.env['BENCH_WARMUP_EVENTS'] ?? 300);
const CPU_PROF = process.env['BENCH_CPU_PROF'] === '1';
const RUN_BUDGET_MS = 120_000;
const TARGET_PER_SECOND = 5000;
const ISOLATION_RATIO = 1.2;
/** Servers in the receiver child: warm-up + all-healthy + isolation each get their own. */
const HEALTHY_SERVERS = ENDPOINTS * 3;

// ---------------------------------------------------------------------------------------------
// Receivers (child process)
// ---------------------------------------------------------------------------------------------

type ToReceivers = { type: 'report'; run: string } | { type: 'stop' };
type FromReceivers =
  | { type: 'ready'; healthy: number[]; blackHole: number }
  | { type: 'report'; run: string; unique: number; duplicates: number; firstAt: number; lastAt: number; latencies: Record<string, number[]>; blackHoleConnections: number; blackHoleRequestsSeen: number };

interface RunStats {
  seen: Set<string>;
  duplicates: number;
  firstAt: number;
  lastAt: number;
  /** Per endpoint index (from the URL path): ms from request creation to receipt. */
  latencies: Map<string, number[]>;
}

async function receivers(): Promise<void> {
  const runs = new Map<string, RunStats>();
  const stats = (run: string): RunStats => {
    let s = runs.get(run);
    if (!s) {
      s = { seen: new Set(), duplicates: 0, firstAt: 0, lastAt: 0, latencies: new Map() };
      runs.set(run, s);
    }
    return s;
  };
  // Separate patterns: the body comes back out of a jsonb column, which reorders keys.
  const runMarker = /"benchRun":\s*"([^"]+)"/;
  const createdMarker = /"benchCreatedAt":\s*([0-9.]+)/;
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < HEALTHY_SERVERS; i++) {
    const server = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const now = performance.timeOrigin + performance.now();
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
        res.end('ok');
        const body = Buffer.concat(chunks).toString('utf8');
        const run = runMarker.exec(body);
        const created = createdMarker.exec(body);
        if (!run || !created) return;
        const s = stats(run[1]);
        const id = String(req.headers['webhook-id']);
        if (s.seen.has(id)) {
          s.duplicates++;
          return;
        }
        s.seen.add(id);
        if (s.firstAt === 0) s.firstAt = now;
        s.lastAt = now;
        const ep = req.url ?? '';
        let list = s.latencies.get(ep);
        if (!list) s.latencies.set(ep, (list = []));
        list.push(now - Number(created[1]));
      });
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const addr = server.address();
    ports.push(typeof addr === 'object' && addr ? addr.port : 0);
  }
  // Accepts, reads nothing, answers nothing: the worst kind of subscriber.
  const held: Socket[] = [];
  let blackHoleConnections = 0;
  const blackHole = createNetServer((socket) => {
    blackHoleConnections++;
    socket.pause();
    socket.on('error', () => undefined);
    held.push(socket);
  });
  await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
  const bhAddr = blackHole.address();
  process.send?.({ type: 'ready', healthy: ports, blackHole: typeof bhAddr === 'object' && bhAddr ? bhAddr.port : 0 } satisfies FromReceivers);

  process.on('message', (m: ToReceivers) => {
    if (m.type === 'stop') {
      for (const s of held) s.destroy();
      process.exit(0);
    }
    const s = stats(m.run);
    process.send?.({
      type: 'report', run: m.run, unique: s.seen.size, duplicates: s.duplicates, firstAt: s.firstAt, lastAt: s.lastAt,
      latencies: Object.fromEntries(s.latencies), blackHoleConnections, blackHoleRequestsSeen: held.length,
    } satisfies FromReceivers);
  });
}

// ---------------------------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------------------------

interface Latency { p50: number; p90: number; p99: number; max: number; mean: number; samples: number }

function latencySummary(values: number[]): Latency {
  const s = Float64Array.from(values).sort();
  const n = s.length;
  const at = (q: number): number => (n === 0 ? 0 : round1(s[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]));
  let sum = 0;
  for (const v of s) sum += v;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: n ? round1(s[n - 1]) : 0, mean: n ? round1(sum / n) : 0, samples: n };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

interface BenchEndpoint {
  id: string;
  url: string;
  path: string;
  blackHole: boolean;
}

interface RunResult {
  label: string;
  endpoints: number;
  blackHoles: number;
  requests: number;
  expectedHealthy: number;
  receivedHealthy: number;
  duplicates: number;
  complete: boolean;
  produceMs: number;
  /** From the first request produced to the last receipt. */
  windowMs: number;
  deliveriesPerSecond: number;
  /** From the first receipt to the last: the app's own pace once it is going. */
  deliveriesPerSecondReceiving: number;
  latencyMs: Latency;
  perEndpointP99Ms: Record<string, number>;
  blackHoleConnections: number;
  cpu: ReturnType<CpuMeter['stop']>;
  /** CPU time per request produced, over the run's window (µs): what a delivery costs each process. */
  cpuMicrosPerDelivery: { app: number; kafka: number; postgres: number; receivers: number };
  loadAfter: [number, number, number];
}

class Receivers {
  private readonly child: ChildProcess;
  constructor() {
    this.child = fork(__filename, ['receivers'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }
  get pid(): number | undefined {
    return this.child.pid;
  }
  next<T extends FromReceivers['type']>(type: T, timeoutMs = 30_000): Promise<Extract<FromReceivers, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`receivers: no ${type} within ${timeoutMs} ms`)), timeoutMs);
      const on = (m: FromReceivers): void => {
        if (m.type !== type) return;
        clearTimeout(timer);
        this.child.off('message', on);
        resolve(m as Extract<FromReceivers, { type: T }>);
      };
      this.child.on('message', on);
    });
  }
  async report(run: string): Promise<Extract<FromReceivers, { type: 'report' }>> {
    const p = this.next('report');
    this.child.send({ type: 'report', run } satisfies ToReceivers);
    return p;
  }
  stop(): void {
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies ToReceivers);
  }
}

async function driver(): Promise<void> {
  const log = (msg: string): void => console.log(`[bench:delivery] ${msg}`);
  const loadBefore = roundedLoad();
  const tag = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const suffix = `-bench-${tag}`;
  const groupId = `hookstream-delivery${suffix}`;
  const accountId = `acc_bench_delivery_${tag}`;
  const secretsKey = randomBytes(32).toString('base64');
  const box = SecretBox.fromBase64Key(secretsKey);

  // A database of its own.
  const dbName = `hookstream_bench_delivery_${tag}`;
  const admin = new Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const benchDbUrl = DATABASE_URL.replace(/\/[^/?]+(\?|$)/, `/${dbName}$1`);

  const kafka = kafkaClientFromEnv('bench-delivery', { ...process.env, KAFKA_BROKERS: BROKERS.join(',') });
  const kadmin = kafka.admin();
  await kadmin.connect();
  const topics = await kadmin.listTopics();
  if (!topics.includes(Topics.deliveries) || !topics.includes(Topics.config)) throw new Error('topics missing: start the pipeline or run an int test once (they create them)');
  const ends = await kadmin.fetchTopicOffsets(Topics.deliveries);
  await kadmin.setOffsets({ groupId, topic: Topics.deliveries, partitions: ends.map((p) => ({ partition: p.partition, offset: p.offset })) });
  const lag = await groupLag(kadmin, groupId, Topics.deliveries);
  log(`fresh group ${groupId} at the end of ${Topics.deliveries} (skips ${ends.reduce((s, p) => s + Number(p.offset), 0)} historical requests); lag ${lag}`);

  const recv = new Receivers();
  const ready = await recv.next('ready');
  log(`receivers: ${ready.healthy.length} healthy servers + 1 black hole in child process ${recv.pid}`);

  // Endpoints: one set per run, each on its own server (own origin, own keep-alive pool).
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const allEndpoints: BenchEndpoint[] = [];
  let serverIdx = 0;
  const endpointSet = (name: string, blackHoles: number): BenchEndpoint[] => {
    const set: BenchEndpoint[] = [];
    for (let i = 0; i < ENDPOINTS; i++) {
      const blackHole = i >= ENDPOINTS - blackHoles;
      const path = `/${name}/${i}`;
      const port = blackHole ? ready.blackHole : ready.healthy[serverIdx++];
      set.push({ id: `ep_bench${tag}${name}${i}`, url: `http://127.0.0.1:${port}${path}`, path, blackHole });
    }
    allEndpoints.push(...set);
    return set;
  };
  const warmupSet = endpointSet('warmup', 0);
  const healthySet = endpointSet('healthy', 0);
  const isolationSet = endpointSet('isolation', 1);
  const snapshot = (e: BenchEndpoint): EndpointSnapshot => ({
    kind: 'endpoint', id: e.id, accountId, url: e.url, enabled: true, eventTypes: ['*'], initiatedFrom: null, listId: null, filter: null,
    format: 'json', secrets: [{ secretEnc: box.seal(newWebhookSecret()), expiresAt: null }], rateLimitPerSecond: null, maxConcurrency: 10,
    version: 1, updatedAt: new Date().toISOString(),
  });
  await producer.send({ topic: Topics.config, acks: -1, messages: allEndpoints.map((e) => ({ key: configKey('endpoint', e.id), value: JSON.stringify(snapshot(e)) })) });

  // The app, as main.ts runs it.
  const httpPort = await freePort();
  mkdirSync(WORK_DIR, { recursive: true });
  const appLog = join(WORK_DIR, `delivery-${tag}.log`);
  const profDir = join(WORK_DIR, `delivery-prof-${tag}`);
  const args = [
    ...appNodeFlags('delivery'),
    ...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', profDir, '-r', './tools/bench/support/exit-on-usr2.js'] : []),
    '-r', './tools/runtime/register.js', 'dist/apps/delivery/src/main.js',
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: BROKERS.join(','),
    DATABASE_URL: benchDbUrl,
    SECRETS_KEY: secretsKey,
    KAFKA_GROUP_SUFFIX: suffix,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(httpPort),
    LOG_LEVEL: 'warn',
    DELIVERY_ALLOWED_CIDRS: '127.0.0.1/32',
    // Not used by the bench; any free port, so it never collides with a running dev stack.
    DELIVERY_INTERNAL_PORT: '0',
    DELIVERY_ALLOW_HTTP: 'true',
    DELIVERY_ALLOWED_PORTS: 'any',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
  const app = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const appOut = createWriteStream(appLog);
  app.stdout.pipe(appOut);
  app.stderr.pipe(appOut);
  const appExited = new Promise<void>((r) => app.once('exit', () => r()));
  const bootStart = Date.now();
  await waitUntil('delivery /health/ready', async () => {
    if (app.exitCode !== null) throw new Error(`delivery exited with ${app.exitCode}; see ${appLog}`);
    const r = await fetch(`http://127.0.0.1:${httpPort}/health/ready`);
    return r.status === 200;
  }, 90_000);
  log(`delivery app (pid ${app.pid}) ready in ${((Date.now() - bootStart) / 1000).toFixed(1)} s; log ${appLog}`);
  const kafkaPid = findKafkaPid();

  let eventSeq = 0;
  async function produceRun(label: string, set: BenchEndpoint[], events: number): Promise<{ ms: number; firstAt: number; requests: number }> {
    const t0 = Date.now();
    let firstAt = 0;
    let requests = 0;
    const chunkEvents = Math.max(1, Math.floor(1000 / set.length));
    for (let from = 0; from < events; from += chunkEvents) {
      const createdMs = performance.timeOrigin + performance.now();
      if (firstAt === 0) firstAt = createdMs;
      const createdAt = new Date(createdMs).toISOString();
      const messages = [];
      for (let i = from; i < Math.min(events, from + chunkEvents); i++) {
        const eventId = `evt_bench${tag}${(eventSeq++).toString(36)}`;
        for (const e of set) {
          const req: DeliveryRequestDto = {
            id: newId(IdPrefix.delivery), webhookId: newId(IdPrefix.message), accountId, endpointId: e.id, eventId, eventType: 'purchase',
            eventTime: createdAt, cause: 'subscription', createdAt,
            data: {
              benchRun: label, benchCreatedAt: createdMs,
              id: eventId, type: 'purchase', person: { email: `buyer${i}@example.com`, firstName: 'Sarah' }, product: { name: 'Running Shoes', price: 49, quantity: 1 }, amount: 49, currency: 'GBP',
            },
          };
          messages.push({
            key: e.id,
            value: JSON.stringify(req),
            headers: { ce_specversion: '1.0', ce_id: req.id, ce_type: 'hookstream.delivery.requested', ce_source: '/bench', ce_time: createdAt, 'content-type': 'application/json' },
          });
        }
      }
      await producer.send({ topic: Topics.deliveries, acks: -1, messages });
      requests += messages.length;
    }
    return { ms: Date.now() - t0, firstAt, requests };
  }

  async function run(label: string, set: BenchEndpoint[], events: number): Promise<RunResult> {
    const healthy = set.filter((e) => !e.blackHole);
    const expected = healthy.length * events;
    log(`run "${label}": ${events} events × ${set.length} endpoints (${set.length - healthy.length} black hole) = ${events * set.length} requests`);
    const meter = new CpuMeter({ 'delivery app': app.pid, kafka: kafkaPid, receivers: recv.pid, 'postgres (server)': postgresServerJiffies(dbName) });
    const produced = await produceRun(label, set, events);
    log(`  produced in ${produced.ms} ms`);
    const deadline = Date.now() + RUN_BUDGET_MS;
    let rep = await recv.report(label);
    let lastLog = Date.now();
    while (rep.unique < expected && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      rep = await recv.report(label);
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        log(`  received ${rep.unique}/${expected}`);
      }
    }
    const cpu = meter.stop();
    const all: number[] = [];
    const perEndpointP99Ms: Record<string, number> = {};
    for (const e of healthy) {
      const l = rep.latencies[e.path] ?? [];
      all.push(...l);
      perEndpointP99Ms[e.path] = latencySummary(l).p99;
    }
    const windowMs = Math.max(1, rep.lastAt - produced.firstAt);
    const perDelivery = (cores: number | undefined): number => Math.round(((cores ?? 0) * windowMs * 1000) / Math.max(1, produced.requests));
    const result: RunResult = {
      label, endpoints: set.length, blackHoles: set.length - healthy.length, requests: produced.requests, expectedHealthy: expected,
      receivedHealthy: rep.unique, duplicates: rep.duplicates, complete: rep.unique >= expected, produceMs: produced.ms, windowMs: Math.round(windowMs),
      deliveriesPerSecond: Math.round(rep.unique / (windowMs / 1000)),
      deliveriesPerSecondReceiving: Math.round((rep.unique - 1) / Math.max(0.001, (rep.lastAt - rep.firstAt) / 1000)),
      latencyMs: latencySummary(all), perEndpointP99Ms, blackHoleConnections: rep.blackHoleConnections, cpu,
      cpuMicrosPerDelivery: {
        app: perDelivery(cpu.processes['delivery app']), kafka: perDelivery(cpu.processes['kafka']),
        postgres: perDelivery(cpu.processes['postgres (server)']), receivers: perDelivery(cpu.processes['receivers']),
      },
      loadAfter: roundedLoad(),
    };
    log(`  ${result.receivedHealthy}/${expected} in ${(windowMs / 1000).toFixed(2)} s: ${result.deliveriesPerSecond} deliveries/s; latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms; app CPU ${cpu.processes['delivery app']} cores`);
    return result;
  }

  async function settle(): Promise<void> {
    // Let the previous run's tail (results publishing, attempt writes) finish before the next.
    await new Promise((r) => setTimeout(r, 3000));
  }

  let warmup: RunResult | undefined;
  let healthyRun: RunResult | undefined;
  let isolationRun: RunResult | undefined;
  try {
    warmup = await run('warmup', warmupSet, WARMUP_EVENTS);
    await settle();
    healthyRun = await run('healthy', healthySet, EVENTS);
    await settle();
    isolationRun = await run('isolation', isolationSet, EVENTS);
  } finally {
    if (CPU_PROF) app.kill('SIGUSR2');
    else app.kill('SIGTERM');
    await Promise.race([appExited, new Promise((r) => setTimeout(r, 15_000))]);
    if (app.exitCode === null && app.signalCode === null) app.kill('SIGKILL');
    recv.stop();
    // Tombstones: the shared config topic forgets this run's endpoints.
    await producer.send({ topic: Topics.config, acks: -1, messages: allEndpoints.map((e) => ({ key: configKey('endpoint', e.id), value: null })) }).catch(() => undefined);
    await producer.disconnect();
    await kadmin.disconnect();
    await dropDatabase(DATABASE_URL, dbName).catch((e: Error) => console.error(`[bench] could not drop ${dbName}: ${e.message}`));
  }

  let profile: ReturnType<typeof summariseCpuProfile> | undefined;
  if (CPU_PROF) {
    const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
    if (files[0]) {
      profile = summariseCpuProfile(join(profDir, files[0]), 30);
      log(`profile: ${join(profDir, files[0])}`);
      for (const c of profile.categories.slice(0, 12)) log(`  ${c.percent}% ${c.category}`);
      for (const f of profile.topFunctions.slice(0, 20)) log(`  ${f.percent}% ${f.name} ${f.where}`);
    }
  }

  const ratio = healthyRun.latencyMs.p99 > 0 ? Math.round((isolationRun.latencyMs.p99 / healthyRun.latencyMs.p99) * 100) / 100 : null;
  const results = {
    bench: 'delivery',
    what: 'deliveries topic → delivery app (compiled, own process) → local HTTP receivers (child process), real Kafka + PostgreSQL',
    setup: {
      eventsPerRun: EVENTS, endpointsPerRun: ENDPOINTS, warmupEvents: WARMUP_EVENTS, endpointMaxConcurrency: 10, receiversInChildProcess: true,
      deliveryTimeoutMs: 15000, database: 'a fresh database per bench run (migrated by the app at boot, dropped at the end)',
      requestsProducedAsFastAsPossible: true, groupLagBeforeRun: lag,
    },
    target: { deliveriesPerSecond: TARGET_PER_SECOND, met: healthyRun.deliveriesPerSecond >= TARGET_PER_SECOND },
    isolation: { healthyNineP99Ms: isolationRun.latencyMs.p99, allHealthyP99Ms: healthyRun.latencyMs.p99, ratio, limit: ISOLATION_RATIO, met: ratio !== null && ratio <= ISOLATION_RATIO },
    runs: { warmup, healthy: healthyRun, isolation: isolationRun },
    profile: profile ? { busyMs: profile.busyMs, categories: profile.categories.slice(0, 15), topFunctions: profile.topFunctions } : undefined,
    load: { before: loadBefore, after: roundedLoad() },
    machine: machineInfo(),
  };
  const c = healthyRun.cpuMicrosPerDelivery;
  const capacityCost = c.app + c.postgres + c.kafka + c.receivers;
  const capacity = Math.round((results.machine.nproc * 1e6) / Math.max(1, capacityCost));
  Object.assign(results.target, { cpuMicrosPerDeliveryAllProcesses: capacityCost, capacityEstimateIfMachineIdle: capacity });
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'delivery.json'), `${JSON.stringify(results, null, 2)}\n`);
  const m = results.machine;
  const row = (r: RunResult): string =>
    `| ${r.label} | ${r.endpoints} (${r.blackHoles} black hole) | ${r.receivedHealthy}/${r.expectedHealthy}${r.complete ? '' : ' (budget reached)'} | **${r.deliveriesPerSecond}** | ${r.deliveriesPerSecondReceiving} | ${r.latencyMs.p50} | ${r.latencyMs.p90} | **${r.latencyMs.p99}** | ${r.latencyMs.max} | ${r.duplicates} | ${r.cpu.processes['delivery app'] ?? '?'} / ${r.cpu.processes['kafka'] ?? '?'} / ${r.cpu.processes['receivers'] ?? '?'} | ${r.cpuMicrosPerDelivery.app} / ${r.cpuMicrosPerDelivery.postgres} / ${r.cpuMicrosPerDelivery.kafka} / ${r.cpuMicrosPerDelivery.receivers} | ${r.cpu.machineBusyPercent} % |`;
  writeFileSync(
    join(dir, 'delivery.md'),
    [
      '# Bench: delivery (deliveries → signed HTTP POSTs to local receivers)',
      '',
      'The delivery app as it runs in production (compiled `dist/`, its own process, `runApp`), the real local Kafka and PostgreSQL',
      '(a fresh database for the bench), receivers in a child process: one `http` server per endpoint answering 200 at once, and a',
      '"black hole" that accepts connections and never answers. Endpoints (maxConcurrency 10, JSON, one secret) are published as',
      'snapshots on the config topic; requests are produced straight to `deliveries` as fast as the producer goes (a burst), with',
      '`createdAt` = the time its chunk was produced. Latency = receipt − `createdAt`, first receipt of each `webhook-id`; under a',
      'burst it is mostly queueing (how long the backlog takes to drain). deliveries/s = unique deliveries / (last receipt − first request produced).',
      '',
      `| run | endpoints | received | deliveries/s | deliveries/s (first→last receipt) | p50 ms | p90 ms | p99 ms | max ms | duplicates | CPU cores app / kafka / receivers | CPU µs per delivery app / postgres / kafka / receivers | machine busy |`,
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      row(warmup),
      row(healthyRun),
      row(isolationRun),
      '',
      `- **Throughput**: ${healthyRun.deliveriesPerSecond} deliveries/s (all-healthy run, ${EVENTS} events × ${ENDPOINTS} endpoints); target ≥ ${TARGET_PER_SECOND}: **${results.target.met ? 'met' : 'NOT met'}**.`,
      `- **Isolation** (same session, same process): healthy nine's p99 ${isolationRun.latencyMs.p99} ms vs all-healthy p99 ${healthyRun.latencyMs.p99} ms = ${ratio}× (limit ${ISOLATION_RATIO}×): **${results.isolation.met ? 'met' : 'NOT met'}**.`,
      `  The black hole took ${isolationRun.blackHoleConnections} connection(s) and answered none (attempts time out after 15 s; its rows wait in the table for retries).`,
      `- **Capacity estimate** from CPU cost alone (all-healthy run): app + PostgreSQL + Kafka + receivers = ${capacityCost} µs of CPU per delivery → at most ~${capacity} deliveries/s if this machine's ${m.nproc} cores did nothing else.`,
      `- Load average before → after (1/5/15 min): ${results.load.before.join(' / ')} → ${results.load.after.join(' / ')}.`,
      ...(profile ? ['', `CPU profile of the delivery app (busy ${profile.busyMs} ms): ${profile.categories.slice(0, 8).map((c) => `${c.category} ${c.percent} %`).join(', ')}.`] : []),
      '',
      `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, kernel ${m.kernel}, ${m.date}. Kafka, PostgreSQL, the receivers,`,
      'the producer and the delivery app share the machine; other engineers\' tests may have been running (see the load average).',
      '',
    ].join('\n'),
  );
  log(`throughput ${healthyRun.deliveriesPerSecond}/s (target ${TARGET_PER_SECOND}); isolation p99 ratio ${ratio} (limit ${ISOLATION_RATIO})`);
  log('wrote bench/results/delivery.json and .md');
}

if (process.argv[2] === 'receivers') {
  receivers().catch((err: unknown) => {
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
