/**
 * Gateway benchmark (issue 3): the compiled ingest-gateway, as a child process on the real local
 * Kafka, driven by autocannon with ~1 KB Activly payloads — at the maximum rate and at fixed
 * rates — and, in the same run and with the same load settings, a bare Node `http` server that
 * only parses the JSON and answers 202: the ceiling. Writes bench/results/gateway.{json,md}.
 *
 * Knobs (environment): BENCH_DURATION (s per run, default 15), BENCH_CONNECTIONS (max-rate runs,
 * default 100), BENCH_FIXED_CONNECTIONS (fixed-rate runs, default 50), BENCH_ROUNDS (alternating
 * bare/gateway max-rate pairs, default 2), BENCH_PROFILE (1 = always profile, 0 = never; default:
 * only when a target is missed), BENCH_GATEWAY_NODE_ARGS (extra node flags for the gateway),
 * BENCH_QUIET_WAIT (s to wait for other work on the machine to settle first, default 180).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configKey, topicPlan, Topics, type SourceSnapshot } from '@hookstream/contracts';
import { ensureTopics, kafkaClientFromEnv } from '@hookstream/kafka';
import { hashToken, newSourceToken } from '@hookstream/webhooks';
import type { Kafka } from 'kafkajs';
import { summariseCpuProfile, type Layer, type ProfileSummary } from './support/cpu-profile';
import { runLoad, type LoadResult } from './support/load';
import { CpuMeter, findKafkaPid, machineInfo, roundedLoad, round2, waitForQuiet, type CpuUse, type MachineInfo } from './support/machine';
import { Child, freePort, ROOT, waitUntil, WORK_DIR } from './support/processes';
import { appNodeFlags } from '../../e2e/support/pipeline';

const DURATION = intEnv('BENCH_DURATION', 15);
const CONNECTIONS = intEnv('BENCH_CONNECTIONS', 100);
const FIXED_CONNECTIONS = intEnv('BENCH_FIXED_CONNECTIONS', 50);
const ROUNDS = intEnv('BENCH_ROUNDS', 2);
const FIXED_RATES = [1000, 5000];
/** Extra node flags for the gateway process, for experiments (e.g. --max-semi-space-size=32). */
const NODE_ARGS = (process.env['BENCH_GATEWAY_NODE_ARGS'] ?? '').split(/\s+/).filter(Boolean);
const WARMUP_SECONDS = 5;
const PROFILE_SECONDS = 10;
const TARGET_RATIO = 0.5;
const TARGET_P99_MS_AT_5K = 50;
const RESULTS_DIR = join(ROOT, 'bench', 'results');

/** Layers of the request path whose inclusive cost the profile summary reports. */
const PROFILE_LAYERS: Layer[] = [
  { layer: 'Nest middleware chain (@fastify/middie), incl. what runs inside it', url: '@fastify/middie/index.js', functionName: 'runMiddie' },
  { layer: 'request-logger middleware (pino-http via nestjs-pino), autoLogging off', url: 'pino-http/logger.js', functionName: 'loggingMiddleware' },
  { layer: 'Fastify body parsing (content-type parser incl. our JSON parser)', url: 'fastify/lib/content-type-parser.js', functionName: 'ContentTypeParser.run' },
  { layer: 'Nest router: params, pipes, interceptors, handler, reply', url: '@nestjs/core/router/router-proxy.js' },
  { layer: 'gateway handler `receive` (auth, raw event, publish call)', url: 'ingest-gateway/src/hooks/hooks.handler.js', functionName: 'receive' },
  { layer: 'token check (matchToken: SHA-256 + constant-time compare)', url: 'webhooks/src/tokens.js', functionName: 'matchToken' },
  { layer: 'ids: newId (randomBytes)', url: 'contracts/src/ids.js', functionName: 'newId' },
  { layer: 'traceparent: childTraceparent (randomBytes)', url: 'contracts/src/envelope.js', functionName: 'childTraceparent' },
  { layer: 'Fastify reply (serialise, onSend, write)', url: 'fastify/lib/reply.js', functionName: 'Reply.send' },
  { layer: 'CoalescingProducer.flush (value JSON, headers, sendBatch call)', url: 'kafka/src/event-producer.js', functionName: 'flush' },
  { layer: 'kafkajs produce request encoding (records, headers, CRC)', url: 'kafkajs/src/protocol/requests/produce/v3/request.js', functionName: 'encode' },
  { layer: 'kafkajs network (sendRequest, incl. encoding)', url: 'kafkajs/src/network/connection.js', functionName: 'sendRequest' },
  { layer: 'socket writes (HTTP responses and Kafka requests)', url: 'node:net', functionName: 'Socket._writeGeneric' },
  { layer: 'HTTP request parsing and dispatch (node http → Fastify)', url: 'node:_http_server', functionName: 'parserOnIncoming' },
  { layer: 'async_hooks promise tracking (AsyncLocalStorage)', url: 'node:internal/async_hooks', functionName: 'promiseInitHook' },
];

function intEnv(name: string, dflt: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : dflt;
}

function log(msg: string): void {
  process.stdout.write(`[bench:gateway] ${msg}\n`);
}

/**
 * An Activly purchase as a shop would send it, padded with the fields real senders add (URLs with
 * tracking parameters, an image, order details) to about 1 KB.
 */
function activlyPayload(targetBytes = 1024): string {
  const base = {
    event: 'purchase',
    first_name: 'Sarah',
    city: 'London',
    country: 'United Kingdom',
    product: "Trail Running Shoes - Men's Waterproof GTX, Storm Blue, EU 44",
    timestamp: '2026-02-28T14:30:00Z',
    amount: 129.95,
    currency: 'GBP',
    email: 'sarah.thompson@example.co.uk',
    product_url: 'https://shop.example.co.uk/products/trail-running-shoes-mens-waterproof-gtx?variant=44-storm-blue&utm_source=newsletter&utm_medium=email&utm_campaign=spring-sale-2026&utm_content=hero-banner',
    product_image: 'https://cdn.example.co.uk/images/products/trail-running-shoes-gtx/storm-blue/main_1200x1200.jpg?v=1709131800',
    order_id: 'ORD-2026-02-28-004817',
    customer_id: 'cus_8f3a2b71c9d04e55',
    quantity: 1,
    sku: 'TRS-GTX-M-44-SBL',
    store: 'example-shop-uk',
    referrer: 'https://www.google.com/search?q=waterproof+trail+running+shoes+men',
    user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15',
    landing_page: '',
  };
  const size = () => Buffer.byteLength(JSON.stringify(base));
  const filler = 'https://shop.example.co.uk/collections/running/trail?sort=best-selling&filter.v.price.gte=50&filter.v.availability=1&page=2';
  for (let i = 0; size() < targetBytes && i < filler.length; i++) base.landing_page = filler.slice(0, i + 1);
  return JSON.stringify(base);
}

interface Phase {
  name: string;
  server: 'bare' | 'gateway';
  load: LoadResult;
  cpu: CpuUse;
  /**
   * CPU time the server process spent per accepted request, in µs. Unlike a rate, this hardly
   * moves when other work on the machine takes CPU away, so it compares well across noisy runs.
   */
  serverCpuMicrosPerAccepted: number | null;
}

interface Env {
  kafka: Kafka;
  brokers: string;
}

/** `eval "$(bash tools/infra/up.sh)"`, from Node: start (or reuse) the local Kafka and PostgreSQL. */
function infraUp(): string {
  const run = (env: NodeJS.ProcessEnv) => execFileSync('bash', [join(ROOT, 'tools/infra/up.sh')], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  let out: string;
  try {
    out = run(process.env);
  } catch (err) {
    // Another checkout on this machine may already run the broker on the default port; up.sh's own
    // advice is to point KAFKA_BROKERS at it, which makes it only wait for that broker.
    if (process.env['KAFKA_BROKERS']) throw err;
    log('up.sh could not start a broker of its own; retrying with the broker already on 127.0.0.1:9092');
    out = run({ ...process.env, KAFKA_BROKERS: '127.0.0.1:9092' });
  }
  const m = /^export KAFKA_BROKERS=(.+)$/m.exec(out);
  if (!m) throw new Error(`tools/infra/up.sh printed no KAFKA_BROKERS:\n${out}`);
  return m[1].replace(/^'(.*)'$/, '$1');
}

async function topicHighWater(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function publishSource(env: Env, snapshot: SourceSnapshot): Promise<void> {
  const producer = env.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic: Topics.config, acks: -1, messages: [{ key: configKey('source', snapshot.id), value: JSON.stringify(snapshot) }] });
  } finally {
    await producer.disconnect();
  }
}

function startGateway(port: number, brokers: string, profileDir?: string): Child {
  const args = [
    ...appNodeFlags('ingest-gateway'),
    ...NODE_ARGS,
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '-r', './tools/bench/support/exit-on-usr2.js'] : []),
    '-r', './tools/runtime/register.js', 'dist/apps/ingest-gateway/src/main.js',
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: brokers,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'warn',
    // The bench measures throughput, not the per-source limit.
    RATE_LIMIT_PER_SECOND: '1000000',
    SECRETS_KEY: randomBytes(32).toString('base64'),
    KAFKA_GROUP_SUFFIX: `-bench-${randomBytes(3).toString('hex')}`,
  };
  return new Child(profileDir ? 'gateway (profiled)' : 'gateway', args, env, join(WORK_DIR, profileDir ? 'gateway-profiled.log' : 'gateway.log'));
}

async function waitGatewayReady(gw: Child, port: number, hookUrl: string, payload: string): Promise<void> {
  await waitUntil('gateway /health/ready', async () => {
    if (!gw.running) throw new Error(`gateway exited; see ${gw.logFile}`);
    return (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200;
  });
  // Ready means the config stream caught up; the dry run proves our source is in the cache.
  await waitUntil('the gateway to know the bench source', async () => {
    const r = await fetch(`${hookUrl}&dry_run=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
    return r.status === 200 && ((await r.json()) as { valid?: boolean }).valid === true;
  }, 30_000);
}

async function measure(name: string, server: 'bare' | 'gateway', url: string, body: string, pids: Record<string, number | undefined>, connections: number, rate?: number): Promise<Phase> {
  log(`${name}: ${rate ? `${rate} req/s` : 'max rate'}, ${connections} connections, ${DURATION} s (load ${roundedLoad().join(' ')})`);
  const meter = new CpuMeter(pids);
  const load = await runLoad({ label: name, url, body, connections, durationSeconds: DURATION, overallRate: rate });
  const cpu = meter.stop();
  const serverCores = cpu.processes[server === 'bare' ? 'bare server' : 'gateway'] ?? 0;
  const serverCpuMicrosPerAccepted = load.accepted2xx > 0 ? Math.round((serverCores * load.durationSeconds * 1e6) / load.accepted2xx) : null;
  const l = load.latencyMs;
  log(`  → ${load.acceptedPerSecond} accepted/s, p50 ${l.p50} ms, p99 ${l.p99} ms, p999 ${l.p999} ms, non-2xx ${load.non2xx}, errors ${load.errors}; CPU ${JSON.stringify(cpu.processes)} machine ${cpu.machineBusyPercent} %, server ${serverCpuMicrosPerAccepted} µs CPU/request`);
  return { name, server, load, cpu, serverCpuMicrosPerAccepted };
}

async function warm(label: string, url: string, body: string): Promise<void> {
  log(`warm-up ${label} (${WARMUP_SECONDS} s, not recorded)`);
  await runLoad({ label: `warm-up ${label}`, url, body, connections: CONNECTIONS, durationSeconds: WARMUP_SECONDS, progressEverySeconds: 1000 });
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

async function main(): Promise<void> {
  const started = Date.now();
  const gatewayMain = join(ROOT, 'dist/apps/ingest-gateway/src/main.js');
  if (!existsSync(gatewayMain)) throw new Error('dist/ is missing: run `npm run build` first (tools/bench/run-all.sh does).');
  mkdirSync(WORK_DIR, { recursive: true });
  mkdirSync(RESULTS_DIR, { recursive: true });
  // Before anything of ours runs: the busy share then is other people's work on this machine.
  const quiet = await waitForQuiet({ maxSeconds: intEnv('BENCH_QUIET_WAIT', 180), busyPercent: 25, say: log });
  const machineAtStart = machineInfo();
  log(`machine: ${machineAtStart.nproc} CPU (${machineAtStart.cpuModel}), ${machineAtStart.memoryGiB} GiB, node ${machineAtStart.node}, load ${machineAtStart.loadAverage.join(' ')}, ${quiet.busyPercent} % busy before start`);

  log('infrastructure: tools/infra/up.sh');
  const brokers = infraUp();
  const kafka = kafkaClientFromEnv('hookstream-bench', { ...process.env, KAFKA_BROKERS: brokers });
  const env: Env = { kafka, brokers };
  await ensureTopics(kafka, topicPlan());

  const token = newSourceToken();
  const sourceId = `src_bench_${randomBytes(6).toString('hex')}`;
  await publishSource(env, {
    kind: 'source', id: sourceId, accountId: 'acc_bench', name: 'gateway bench', dialect: 'activly', enabled: true,
    tokens: [{ hash: hashToken(token), expiresAt: null }], signature: { kind: 'none' }, dedupe: null,
    rateLimitPerSecond: null, initiatedFrom: 'api', listId: null, version: 1, updatedAt: new Date().toISOString(),
  });
  const payload = activlyPayload();
  log(`source ${sourceId} published to ${Topics.config}; payload ${Buffer.byteLength(payload)} bytes`);

  const children: Child[] = [];
  const cleanup = async () => {
    await Promise.all(children.map((c) => c.stop('SIGTERM', 10_000).catch(() => undefined)));
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

  try {
    const [barePort, gwPort] = [await freePort(), await freePort()];
    const bare = new Child('bare', ['tools/bench/support/bare-server.js'], { ...process.env, PORT: String(barePort) }, join(WORK_DIR, 'bare-server.log'));
    children.push(bare);
    let gw = startGateway(gwPort, brokers);
    children.push(gw);
    const bareUrl = `http://127.0.0.1:${barePort}/v1/hooks/${sourceId}?token=${encodeURIComponent(token)}`;
    const gwUrl = `http://127.0.0.1:${gwPort}/v1/hooks/${sourceId}?token=${encodeURIComponent(token)}`;
    await waitUntil('bare server', async () => (await fetch(bareUrl, { method: 'POST', body: payload })).status === 202, 15_000);
    await waitGatewayReady(gw, gwPort, gwUrl, payload);
    const probe = await fetch(gwUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
    const probeBody = (await probe.json()) as { id?: string };
    if (probe.status !== 202 || !probeBody.id?.startsWith('evt_')) throw new Error(`gateway answered ${probe.status} ${JSON.stringify(probeBody)} to a valid event`);
    log(`gateway pid ${gw.pid} on :${gwPort}, bare server pid ${bare.pid} on :${barePort}; both answer 202`);

    const kafkaPid = findKafkaPid();
    const pidsFor = (server: 'bare' | 'gateway') => ({ [server === 'bare' ? 'bare server' : 'gateway']: server === 'bare' ? bare.pid : gw.pid, 'kafka broker': kafkaPid });
    const rawBefore = await topicHighWater(kafka, Topics.eventsRaw);

    await warm('bare', bareUrl, payload);
    await warm('gateway', gwUrl, payload);

    const phases: Phase[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      phases.push(await measure(`bare max #${round}`, 'bare', bareUrl, payload, pidsFor('bare'), CONNECTIONS));
      phases.push(await measure(`gateway max #${round}`, 'gateway', gwUrl, payload, pidsFor('gateway'), CONNECTIONS));
    }
    for (const rate of FIXED_RATES) {
      phases.push(await measure(`gateway ${rate / 1000}k/s`, 'gateway', gwUrl, payload, pidsFor('gateway'), FIXED_CONNECTIONS, rate));
    }
    phases.push(await measure(`bare 5k/s`, 'bare', bareUrl, payload, pidsFor('bare'), FIXED_CONNECTIONS, 5000));

    // Every 202 must be on the topic: the high-water mark grew at least by the accepted count
    // (other writers on a shared broker can only add to it). The warm-up and probe also produced.
    const rawAfter = await topicHighWater(kafka, Topics.eventsRaw);
    const gatewayAccepted = phases.filter((p) => p.server === 'gateway').reduce((s, p) => s + p.load.accepted2xx, 0);
    const durability = { acceptedInMeasuredRuns: gatewayAccepted, eventsRawRecordsAdded: rawAfter - rawBefore, ok: rawAfter - rawBefore >= gatewayAccepted };
    log(`durability: ${durability.acceptedInMeasuredRuns} accepted in measured runs, ${durability.eventsRawRecordsAdded} records added to ${Topics.eventsRaw} (incl. warm-up) → ${durability.ok ? 'ok' : 'MISSING RECORDS'}`);

    const bareMax = phases.filter((p) => p.name.startsWith('bare max')).map((p) => p.load.acceptedPerSecond);
    const gwMax = phases.filter((p) => p.name.startsWith('gateway max')).map((p) => p.load.acceptedPerSecond);
    const ratio = round2(mean(gwMax) / Math.max(1, mean(bareMax)));
    const cpuPer = (prefix: string) => Math.round(mean(phases.filter((p) => p.name.startsWith(prefix)).map((p) => p.serverCpuMicrosPerAccepted ?? 0)));
    const cpuPerRequest = { bareMicros: cpuPer('bare max'), gatewayMicros: cpuPer('gateway max'), efficiencyRatio: round2(cpuPer('bare max') / Math.max(1, cpuPer('gateway max'))) };
    log(`CPU per accepted request at max rate: bare ${cpuPerRequest.bareMicros} µs, gateway ${cpuPerRequest.gatewayMicros} µs (ratio ${cpuPerRequest.efficiencyRatio})`);
    const at5k = phases.find((p) => p.name === 'gateway 5k/s');
    const targets = {
      ratio: { target: `>= ${TARGET_RATIO}`, value: ratio, met: ratio >= TARGET_RATIO },
      p99At5k: {
        target: `< ${TARGET_P99_MS_AT_5K} ms with >= 95 % of 5000 req/s accepted`,
        value: at5k?.load.latencyMs.p99 ?? null,
        achievedRate: at5k?.load.acceptedPerSecond ?? null,
        met: !!at5k && at5k.load.latencyMs.p99 < TARGET_P99_MS_AT_5K && at5k.load.acceptedPerSecond >= 0.95 * 5000 && at5k.load.non2xx === 0,
      },
    };
    log(`gateway/bare = ${mean(gwMax).toFixed(0)}/${mean(bareMax).toFixed(0)} = ${ratio} (target ${TARGET_RATIO}: ${targets.ratio.met ? 'met' : 'MISSED'}); p99 at 5k = ${targets.p99At5k.value} ms (${targets.p99At5k.met ? 'met' : 'MISSED'})`);

    let profile: ProfileSummary | null = null;
    let profiledRate = 0;
    const wantProfile = process.env['BENCH_PROFILE'] === '1' || (process.env['BENCH_PROFILE'] !== '0' && !(targets.ratio.met && targets.p99At5k.met));
    if (wantProfile) {
      await gw.stop();
      const profileDir = join(WORK_DIR, `profile-${Date.now()}`);
      mkdirSync(profileDir, { recursive: true });
      gw = startGateway(gwPort, brokers, profileDir);
      children.push(gw);
      await waitGatewayReady(gw, gwPort, gwUrl, payload);
      log(`profiling: gateway under --cpu-prof, ${PROFILE_SECONDS} s at max rate`);
      await runLoad({ label: 'profile warm-up', url: gwUrl, body: payload, connections: CONNECTIONS, durationSeconds: 3, progressEverySeconds: 1000 });
      const fromUs = Number(process.hrtime.bigint() / 1000n);
      const profiled = await runLoad({ label: 'profile', url: gwUrl, body: payload, connections: CONNECTIONS, durationSeconds: PROFILE_SECONDS, progressEverySeconds: 1000 });
      const toUs = Number(process.hrtime.bigint() / 1000n);
      await gw.stop('SIGUSR2', 30_000);
      const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no .cpuprofile written in ${profileDir}`);
      profile = summariseCpuProfile(join(profileDir, file), 25, { fromUs, toUs }, PROFILE_LAYERS);
      profiledRate = profiled.acceptedPerSecond;
      log(`profile: ${profile.busyMs} ms busy of ${profile.sampledMs} ms sampled; top: ${profile.categories.slice(0, 5).map((c) => `${c.category} ${c.percent} %`).join(', ')}`);
    }

    const machine: MachineInfo = { ...machineAtStart, loadAverage: machineAtStart.loadAverage };
    const result = {
      bench: 'gateway',
      machine,
      busyBeforeStart: quiet,
      loadAverageAtEnd: roundedLoad(),
      wallSeconds: Math.round((Date.now() - started) / 1000),
      settings: {
        payloadBytes: Buffer.byteLength(payload), durationSeconds: DURATION, maxRateConnections: CONNECTIONS, fixedRateConnections: FIXED_CONNECTIONS,
        pipelining: 1, rounds: ROUNDS, gatewayNodeArgs: NODE_ARGS, loadGenerator: 'autocannon (programmatic, one thread, in the bench process)', gatewayEnv: { LOG_LEVEL: 'warn', RATE_LIMIT_PER_SECOND: 1000000 },
      },
      sourceId,
      phases,
      summary: { bareMaxAcceptedPerSecond: Math.round(mean(bareMax)), gatewayMaxAcceptedPerSecond: Math.round(mean(gwMax)), ratio, cpuPerRequest, targets, durability },
      profile: profile ? { ...profile, acceptedPerSecondWhileProfiled: profiledRate } : null,
    };
    writeFileSync(join(RESULTS_DIR, 'gateway.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(RESULTS_DIR, 'gateway.md'), markdown(result));
    log(`wrote bench/results/gateway.json and gateway.md in ${result.wallSeconds} s`);
    if (!durability.ok) throw new Error('fewer records reached events.raw than the gateway acknowledged');
    if (mean(gwMax) === 0) throw new Error('the gateway accepted nothing');
  } finally {
    await cleanup();
  }
}

type Result = {
  machine: MachineInfo;
  busyBeforeStart: { waitedSeconds: number; busyPercent: number };
  loadAverageAtEnd: [number, number, number];
  settings: { payloadBytes: number; durationSeconds: number; maxRateConnections: number; fixedRateConnections: number; rounds: number };
  phases: Phase[];
  summary: {
    bareMaxAcceptedPerSecond: number; gatewayMaxAcceptedPerSecond: number; ratio: number;
    cpuPerRequest: { bareMicros: number; gatewayMicros: number; efficiencyRatio: number };
    targets: { ratio: { met: boolean }; p99At5k: { value: number | null; achievedRate: number | null; met: boolean } };
    durability: { acceptedInMeasuredRuns: number; eventsRawRecordsAdded: number; ok: boolean };
  };
  profile: (ProfileSummary & { acceptedPerSecondWhileProfiled: number }) | null;
};

function markdown(r: Result): string {
  const m = r.machine;
  const s = r.summary;
  const cpu = (p: Phase) => Object.entries(p.cpu.processes).map(([k, v]) => `${k.replace(' (bench process)', '')} ${v}`).join(', ');
  const rows = r.phases.map((p) => {
    const l = p.load.latencyMs;
    return `| ${p.name} | ${p.load.targetRate ?? 'max'} | ${p.load.connections} | **${p.load.acceptedPerSecond}** | ${l.p50} | ${l.p90} | ${l.p99} | ${l.p999} | ${l.max} | ${p.load.non2xx} / ${p.load.errors} | ${cpu(p)} | ${p.cpu.machineBusyPercent} % | ${p.serverCpuMicrosPerAccepted ?? '–'} |`;
  });
  const lines = [
    '# Gateway benchmark',
    '',
    `Measured ${m.date} by \`npm run bench\` (tools/bench/gateway.bench.ts).`,
    '',
    `**Machine:** ${m.nproc} CPUs (\`nproc\`), ${m.cpuModel}, ${m.memoryGiB} GiB RAM, Node ${m.node}, Linux ${m.kernel}; load average ${m.loadAverage.join(' / ')} at start, ${r.loadAverageAtEnd.join(' / ')} at end; the machine was ${r.busyBeforeStart.busyPercent} % busy with other work just before the bench started (after waiting ${r.busyBeforeStart.waitedSeconds} s for it to settle).`,
    '',
    `**Load:** autocannon, ${r.settings.payloadBytes}-byte Activly JSON (\`POST /v1/hooks/{sourceId}?token=…\`), HTTP/1.1 keep-alive, pipelining 1, ${r.settings.durationSeconds} s per run after a 5 s warm-up; max-rate runs with ${r.settings.maxRateConnections} connections (${r.settings.rounds} alternating bare/gateway rounds), fixed-rate runs with ${r.settings.fixedRateConnections}.`,
    '',
    '## Results',
    '',
    '| run | rate (req/s) | conns | accepted/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | non-2xx / errors | CPU cores by process | machine busy | server CPU µs / request |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `- **Gateway / bare server at max rate: ${s.gatewayMaxAcceptedPerSecond} / ${s.bareMaxAcceptedPerSecond} = ${s.ratio}** (target ≥ 0.5: ${s.targets.ratio.met ? 'met' : '**missed**'}).`,
    `- CPU time per accepted request at max rate (less sensitive to other load on the machine than a rate): bare ${s.cpuPerRequest.bareMicros} µs, gateway ${s.cpuPerRequest.gatewayMicros} µs (the gateway process alone; the broker's CPU is in the table) — a ratio of ${s.cpuPerRequest.efficiencyRatio}, roughly what the rate ratio would be if each server had a core to itself.`,
    `- **p99 at 5k req/s: ${s.targets.p99At5k.value} ms** at ${s.targets.p99At5k.achievedRate} accepted/s (target < 50 ms: ${s.targets.p99At5k.met ? 'met' : '**missed**'}).`,
    `- Durability check: ${s.durability.acceptedInMeasuredRuns} events answered 202 in the measured gateway runs; ${s.durability.eventsRawRecordsAdded} records were added to events.raw meanwhile (warm-up included) — ${s.durability.ok ? 'every 202 is on the topic' : '**records missing**'}.`,
    '',
    '## How to read this',
    '',
    '- *accepted/s* counts 2xx answers only. A gateway 202 means Kafka (the local single-node broker) acknowledged the event with acks=all; the bare server only parsed the JSON.',
    '- Latency is measured per request by the bench (sub-millisecond), 2xx only, without coordinated-omission correction.',
    '- What the profile means for the targets, and what would move them: bench/README.md, "gateway: findings".',
    "- With a fixed rate, autocannon gives each connection its share of the per-second budget and lets it send back to back at the start of each second, then pause: arrivals are a burst per second, not a smooth stream. The latency at a fixed rate therefore is the latency of that burst, a harsher test than evenly spaced requests.",
    `- Everything shares ${m.nproc} cores: autocannon (one thread, in the bench process), the server under test and, for the gateway, the Kafka broker (a JVM). The CPU column shows what each took during the run. autocannon's cost weighs on both sides alike; the broker's only on the gateway's, because durable acknowledgement is the gateway's job. Other processes on the machine (the load average) add noise.`,
  ];
  if (r.profile) {
    const p = r.profile;
    lines.push(
      '',
      '## Where the gateway spends its time (CPU profile at max rate)',
      '',
      `\`node --cpu-prof\` on the gateway during a separate ${PROFILE_SECONDS} s max-rate run after a 3 s warm-up (${p.acceptedPerSecondWhileProfiled} accepted/s under the profiler); ${p.windowed ? 'only samples taken during that run are counted (start-up and warm-up left out)' : 'all samples, start-up included'}: ${p.busyMs} ms busy of ${p.sampledMs} ms sampled, the rest idle. Shares are of busy time, by self time (the function itself, not its callees).`,
      '',
      '| layer (inclusive: the frame and everything it calls; layers nest, so shares overlap) | ms | share |',
      '|---|---|---|',
      ...p.layers.map((l) => `| ${l.layer} | ${l.inclusiveMs} | ${l.percent} % |`),
      '',
      '| where (self time by package) | self ms | share |',
      '|---|---|---|',
      ...p.categories.slice(0, 15).map((c) => `| ${c.category} | ${c.selfMs} | ${c.percent} % |`),
      '',
      '| function | where | self ms | share |',
      '|---|---|---|---|',
      ...p.topFunctions.map((f) => `| \`${f.name}\` | ${f.where || f.category} | ${f.selfMs} | ${f.percent} % |`),
    );
  }
  return `${lines.join('\n')}\n`;
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench:gateway] FAILED: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
