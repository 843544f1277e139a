/*
 * The whole pipeline, as users run it: all seven compiled apps, the broker and PostgreSQL on one
 * machine; events POSTed to the gateway; signed webhooks received by local endpoints.
 *
 *   npm run bench -- pipeline
 *   BENCH_CAPACITY_EVENTS=20000 BENCH_LATENCY_SECONDS=15 BENCH_FANOUTS=1,10 npm run bench -- pipeline
 *
 * Method:
 * 1. Infrastructure from tools/infra/up.sh (the local broker and PostgreSQL, or KAFKA_BROKERS /
 *    DATABASE_URL). The apps run through the e2e Pipeline helper: a database of their own (dropped
 *    at the end), fresh consumer groups placed at the end of every topic, LOG_LEVEL=info as
 *    `npm start` runs them.
 * 2. Three kinds of process that are not Hookstream run apart, so their CPU is not counted as
 *    Hookstream's: the load generator (a child process: undici Pool, 64 connections) and the
 *    receivers (a child process: one http server per endpoint, each verifying every signature).
 * 3. A demo tenant is seeded through the CLI; its endpoint gets the event type `purchase` only, so
 *    one event is one delivery. For fan-out 10, nine more endpoints are added through the API.
 * 4. Capacity: CAPACITY_EVENTS distinct events as fast as the gateway takes them (closed loop, 64
 *    in flight). Capacity = events fully delivered / (last signed receipt − first POST). Every
 *    delivery must arrive with a valid signature, or the bench fails.
 * 5. CPU per event: the CPU time of each process (the seven apps, the broker, the PostgreSQL
 *    backends of this run's database) over the capacity run, divided by the events delivered.
 *    PostgreSQL work of the capacity run per event: commits and rows written (pg_stat_database),
 *    and the statements ranked by execution time (pg_stat_statements, when the server preloads it:
 *    see bench/README.md for a private server that does).
 * 6. Latency at 25 %, 50 % and 90 % of the measured capacity: an open-loop constant rate for
 *    LATENCY_SECONDS; per delivery, receipt time − the event's `receivedAt` (stamped by the gateway
 *    when the POST arrived). Per hop (gateway, validator, enricher, automation, delivery): where that
 *    time goes, from the Kafka CreateTime of each event's records, read back after the run
 *    (tools/bench/support/hops.ts; BENCH_HOPS=0 skips it). From the apps' /metrics: how long the
 *    deliveries waited in delivery's endpoint queues, and each app's event-loop delay.
 * 7. The process that took the most CPU in the fan-out-1 capacity run (or BENCH_PROFILE_APP) is restarted under
 *    `--cpu-prof` and driven again; its profile is summarised into the results and kept at
 *    bench/results/pipeline-<app>.cpuprofile (open it in Chrome DevTools).
 * Only 127.0.0.1 is targeted; every loop is bounded in count and time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Pool } from 'undici';
import { verify } from '@hookstream/webhooks';
import { APPS, Pipeline, type AppName } from '../../e2e/support/pipeline';
import { summariseCpuProfile } from './support/cpu-profile';
import { PERF_NODE_FLAGS, PerfRecording, perfMarkdown, perfUnavailable, readPerfMap, removeStalePerfMaps, summarisePerf, writeJvmPerfMap, type PerfMap, type PerfSummary } from './perf/perf-profile';
import { lineItems } from './support/payloads';
import { MachineBusyTimeline, machineInfo, otherHookstreamApps, postgresServerJiffies, processJiffies, round2, speedProbeMs, waitForQuiet } from './support/machine';
import { pgFigures, pgMarkdown, pgSessions, pgSnapshot, withPgClient, type PgFigures } from './support/pg-statements';
import { ROOT, WORK_DIR } from './support/processes';
import { HOP_TABLE_HEAD, hopBreakdown, hopMarkdown, topicMarks, type HopBreakdown, type Receipt } from './support/hops';
import { registerKafkaCodecs } from '@hookstream/kafka';
import { testKafka } from '@hookstream/testing';
import { payloadCompressionSql } from '@hookstream/db';

const CAPACITY_EVENTS = Number(process.env['BENCH_CAPACITY_EVENTS'] ?? 20_000);
const LATENCY_SECONDS = Number(process.env['BENCH_LATENCY_SECONDS'] ?? 15);
/**
 * Warm-up before each fan-out's capacity run, at that fan-out and closed loop like the run itself:
 * chunks of BENCH_WARMUP_CHUNK events until the pipeline's CPU per event has stopped falling — three
 * chunks in a row not BENCH_WARMUP_STEADY (3 %) below the lowest chunk before them — once at least
 * BENCH_WARMUP_EVENTS (30,000) were sent, and never more than BENCH_WARMUP_MAX_EVENTS (at fan-out > 1, a
 * quarter of each, as for the capacity run). Every app starts fresh for a run, and V8 goes on
 * compiling hot code (on its worker threads) for 15–25 s of full load: after the fixed 6,000 events
 * used until session 28 (~3 s), the capacity run measured every app at 15–25 % more CPU per event
 * than after 30,000 or 60,000 (bench/README.md, "Session 28"). The broker is a JVM too: the first
 * run on a fresh one measured its CPU per event at about 3× a warm one's ("Machine speed and warm-up").
 */
const WARMUP_CHUNK = Number(process.env['BENCH_WARMUP_CHUNK'] ?? 5000);
const WARMUP_EVENTS = Number(process.env['BENCH_WARMUP_EVENTS'] ?? 30_000);
const WARMUP_MAX_EVENTS = Math.max(WARMUP_EVENTS, Number(process.env['BENCH_WARMUP_MAX_EVENTS'] ?? 60_000));
const WARMUP_STEADY = Number(process.env['BENCH_WARMUP_STEADY'] ?? 0.03);
/** What the apps' Kafka producers compress with (the apps read KAFKA_COMPRESSION from the environment). */
const KAFKA_COMPRESSION = process.env['KAFKA_COMPRESSION'] ?? 'none';
const FANOUTS = (process.env['BENCH_FANOUTS'] ?? '1,10').split(',').map(Number);
/** The load generator's connections (closed loop in the capacity run: this many POSTs in flight). */
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 64);
const LOAD_POINTS = (process.env['BENCH_LOAD_POINTS'] ?? '0.25,0.5,0.9').split(',').filter(Boolean).map(Number);
/** 0: skip the profiling run (for quick before/after comparisons). */
const PROFILE = process.env['BENCH_PROFILE'] !== '0';
/** Profile this app instead of the one with the most CPU. */
const PROFILE_APP: AppName | undefined = process.env['BENCH_PROFILE_APP'] ? APPS.find((a) => a === process.env['BENCH_PROFILE_APP']) : undefined;
if (process.env['BENCH_PROFILE_APP'] && !PROFILE_APP) throw new Error(`BENCH_PROFILE_APP must be one of ${APPS.join(', ')}`);
/**
 * Rates of the latency runs: fractions of this run's measured capacity, or — with BENCH_LOAD_BASE
 * (events/s per fan-out, in BENCH_FANOUTS order, e.g. `480,184`) — of a fixed base, so that both
 * builds of an A/B pair are driven at the same rates whatever their capacity run measured.
 */
const LOAD_BASE = (process.env['BENCH_LOAD_BASE'] ?? '').split(',').filter(Boolean).map(Number);
/** Profile at this fraction of the fan-out-1 capacity (open loop, LATENCY_SECONDS) instead of as fast as possible; 0: as fast as possible. */
const PROFILE_LOAD = Number(process.env['BENCH_PROFILE_LOAD'] ?? 0);
/**
 * BENCH_PERF: runs to record with Linux perf, on every process of the machine at once (on-CPU
 * samples, kernel included; tools/bench/perf/perf-profile.ts), e.g. `capacity` or `capacity,0.25`
 * (a load point of BENCH_LOAD_POINTS), at every fan-out. The apps then run with
 * --perf-basic-prof-only-functions so that their JavaScript frames have names.
 */
const PERF_RUNS = (process.env['BENCH_PERF'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
for (const r of PERF_RUNS) if (r !== 'capacity' && !LOAD_POINTS.includes(Number(r))) throw new Error(`BENCH_PERF: "${r}" is neither "capacity" nor one of BENCH_LOAD_POINTS (${LOAD_POINTS.join(', ')})`);
/** Results go to bench/results/<name>.{json,md}; a before/after pair uses two names. */
const RESULT_NAME = process.env['BENCH_RESULT_NAME'] ?? 'pipeline';
const RUN_BUDGET_MS = 180_000;
const STALL_MS = 30_000;
/**
 * The bench tenant is configured as a high-volume user would: its endpoints take up to 100
 * concurrent deliveries and its source up to 5,000 events/s. With the product defaults (10 in
 * flight per endpoint, 1,000/s per source) the fan-out-1 capacity is those limits, not the
 * pipeline (bench/README 'Capacity-run timeline'). 0 = the product default.
 */
const ENDPOINT_MAX_CONCURRENCY = Number(process.env['BENCH_ENDPOINT_MAX_CONCURRENCY'] ?? 100) || undefined;
const SOURCE_RATE_LIMIT = Number(process.env['BENCH_SOURCE_RATE_LIMIT'] ?? 5000) || undefined;
/**
 * BENCH_PAYLOAD_BYTES: 0 (default) posts the ~200-byte Activly purchase; N adds line items to it
 * until its JSON is at least N bytes (they travel on as attributes, into every delivery's data).
 * BENCH_PG_COMPRESSION=pglz sets the payload columns back to PostgreSQL's default compression after
 * the migrations set lz4 (libs/db README, "Storage settings"): rows over ~2 kB are compressed.
 * BENCH_PG_SQL: statements run on the run's database once the apps have migrated it (schema
 * experiments, e.g. `DROP INDEX …` to price an index; never for a headline figure).
 */
const PAYLOAD_BYTES = Number(process.env['BENCH_PAYLOAD_BYTES'] ?? 0);
const PG_COMPRESSION = process.env['BENCH_PG_COMPRESSION'] === 'pglz' ? 'pglz' : 'lz4';
const PG_SQL = process.env['BENCH_PG_SQL'] ?? '';
/** 0: no per-hop latency breakdown of the latency runs (tools/bench/support/hops.ts). */
const HOPS = process.env['BENCH_HOPS'] !== '0';
/** The receivers' keep-alive timeout in ms (0: Node's default, 5 s). */
const RECEIVER_KEEPALIVE_MS = Number(process.env['BENCH_RECEIVER_KEEPALIVE_MS'] ?? 0);
const TARGETS = { capacityFanout1: 2000, cpuMsPerEvent: 0.8, deliveriesPerSecondFanout10: 5000, p99At50PercentMs: 250 };
/** Measured with the same method on this machine kind before the work on issue 13 (issue text). */
const BEFORE = { capacityFanout1: 410, cpuMsPerEvent: 3.5, deliveriesPerSecondFanout10: 1500, p99At200PerSecondMs: 112 };

// ---------------------------------------------------------------------------------------------
// Child processes: receivers and the load generator. Messages are plain JSON over IPC.
// ---------------------------------------------------------------------------------------------

type ReceiverCmd = { type: 'secrets'; secrets: Record<number, string> } | { type: 'reset' } | { type: 'report'; withReceipts?: boolean };
/**
 * `receipts` (webhook id, receipt time, the event's receivedAt) only in a report asked `withReceipts` (the hop breakdown);
 * `connections`: TCP connections delivery opened to the receivers (Node's server closes one idle for 5 s, as many endpoints do).
 */
interface ReceiverReport { unique: number; duplicates: number; badSignatures: number; connections: number; firstAt: number; lastAt: number; latencies: number[]; receipts?: Receipt[] }
const emptyReport = (): ReceiverReport => ({ unique: 0, duplicates: 0, badSignatures: 0, connections: 0, firstAt: 0, lastAt: 0, latencies: [] });

function receiversMain(count: number): void {
  const secrets = new Map<number, string>();
  const seen = new Set<string>();
  let report = emptyReport();
  let receipts: Receipt[] = [];
  const servers: Server[] = [];
  const ports: number[] = [];
  const listen = (s: Server) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));
  void (async () => {
    for (let i = 0; i < count; i++) {
      const s = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const at = Date.now();
          const body = Buffer.concat(chunks);
          const port = (req.socket.localPort ?? 0);
          const secret = secrets.get(port);
          if (!secret || !verify(req.headers, body, [secret]).ok) report.badSignatures++;
          const id = String(req.headers['webhook-id']);
          if (seen.has(id)) report.duplicates++;
          else {
            seen.add(id);
            report.unique++;
            if (!report.firstAt) report.firstAt = at;
            report.lastAt = at;
            const receivedAt = Date.parse((JSON.parse(body.toString()) as { data: { receivedAt: string } }).data.receivedAt);
            report.latencies.push(at - receivedAt);
            receipts.push({ webhookId: id, at, receivedAt });
          }
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      // Node's default keeps an idle connection 5 s; load balancers in front of most endpoints keep 60–75 s.
      if (RECEIVER_KEEPALIVE_MS > 0) s.keepAliveTimeout = RECEIVER_KEEPALIVE_MS;
      s.on('connection', () => report.connections++);
      servers.push(s);
      ports.push(await listen(s));
    }
    process.send?.({ type: 'ready', ports });
  })();
  process.on('message', (m: ReceiverCmd) => {
    if (m.type === 'secrets') for (const [p, s] of Object.entries(m.secrets)) secrets.set(Number(p), s);
    else if (m.type === 'reset') {
      report = emptyReport();
      receipts = [];
    } else if (m.type === 'report') process.send?.({ type: 'report', report: m.withReceipts ? { ...report, receipts } : report });
  });
}

interface LoadCmd { type: 'run'; url: string; fromSeq: number; count: number; ratePerSecond: number | null }
interface LoadReport { accepted: number; other: Record<string, number>; errors: number; startedAt: number; endedAt: number; postLatencies: number[] }

/** Statements run on the pipeline's database after its migrations (BENCH_PG_COMPRESSION, BENCH_PG_SQL). */
async function runSql(databaseUrl: string, sql: string): Promise<void> {
  await withPgClient(databaseUrl, 'bench-sql', async (c) => {
    await c.query(sql);
  });
}


function eventBody(seq: number): string {
  const body = JSON.stringify({
    event: 'purchase', first_name: 'Bench', email: `bench-${seq}@example.com`, city: 'London', country: 'UK',
    product: 'Running Shoes', amount: 49, currency: 'GBP', timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  });
  return PAYLOAD_BYTES > 0 ? `${body.slice(0, -1)},"line_items":${JSON.stringify(lineItems(seq, PAYLOAD_BYTES - body.length))}}` : body;
}


function loadMain(): void {
  process.on('message', (m: LoadCmd) => {
    void (async () => {
      const u = new URL(m.url);
      const pool = new Pool(u.origin, { connections: CONNECTIONS, pipelining: 1 });
      const path = u.pathname + u.search;
      const r: LoadReport = { accepted: 0, other: {}, errors: 0, startedAt: Date.now(), endedAt: 0, postLatencies: [] };
      const post = async (seq: number) => {
        const t0 = Date.now();
        try {
          const res = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: eventBody(seq) });
          await res.body.dump();
          if (res.statusCode === 202) r.accepted++;
          else r.other[res.statusCode] = (r.other[res.statusCode] ?? 0) + 1;
        } catch {
          r.errors++;
        }
        r.postLatencies.push(Date.now() - t0);
      };
      if (m.ratePerSecond === null) {
        let next = m.fromSeq;
        const end = m.fromSeq + m.count;
        await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
          while (next < end) await post(next++);
        }));
      } else {
        // Open loop: requests leave on schedule whether or not earlier ones have been answered.
        const inFlight: Promise<void>[] = [];
        const t0 = Date.now();
        for (let i = 0; i < m.count; i++) {
          const due = t0 + (i * 1000) / m.ratePerSecond;
          const wait = due - Date.now();
          if (wait > 1) await new Promise((res) => setTimeout(res, wait));
          inFlight.push(post(m.fromSeq + i));
        }
        await Promise.all(inFlight);
      }
      r.endedAt = Date.now();
      await pool.close();
      process.send?.({ type: 'done', report: r });
    })();
  });
  process.send?.({ type: 'ready' });
}

// ---------------------------------------------------------------------------------------------
// Process CPU accounting
// ---------------------------------------------------------------------------------------------

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** VmHWM of /proc/<pid>/status in MiB (null when the process is gone). */
function peakRssMiB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The broker whose listener is `port` (a JVM running kafka.Kafka with that port in its server.properties). */
function kafkaPid(port: string): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = read(`/proc/${d}/cmdline`).split('\0').filter(Boolean);
    if (!cmd.includes('kafka.Kafka')) continue;
    const props = cmd[cmd.length - 1] ?? '';
    if (read(props).includes(`:${port}`)) return Number(d);
  }
  return undefined;
}

/** What a group's CPU is read from: fixed pids (each app, the broker), or a counter of clock ticks. */
type CpuSource = number[] | (() => number);
const ticksOf = (src: CpuSource): number => (typeof src === 'function' ? src() : src.reduce((a, p) => a + processJiffies(p), 0));

class ProcessCpu {
  private readonly start = new Map<string, number>();
  private readonly t0 = Date.now();
  constructor(private readonly groups: Record<string, CpuSource>) {
    for (const [name, src] of Object.entries(groups)) this.start.set(name, ticksOf(src));
  }
  /** CPU seconds per group since construction. */
  stop(): { seconds: number; cpuSeconds: Record<string, number> } {
    const cpuSeconds: Record<string, number> = {};
    for (const [name, src] of Object.entries(this.groups)) cpuSeconds[name] = (ticksOf(src) - (this.start.get(name) ?? 0)) / CLK_TCK;
    return { seconds: (Date.now() - this.t0) / 1000, cpuSeconds };
  }
}

// ---------------------------------------------------------------------------------------------
// The bench
// ---------------------------------------------------------------------------------------------

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function latencySummary(values: number[]): { p50: number; p90: number; p99: number; max: number; samples: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN, samples: s.length };
}

class Rpc<Cmd, Reply extends { type: string }> {
  constructor(readonly child: ChildProcess) {}
  next<T extends Reply['type']>(type: T): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve) => {
      const on = (m: Reply) => {
        if (m.type === type) {
          this.child.off('message', on);
          resolve(m as Extract<Reply, { type: T }>);
        }
      };
      this.child.on('message', on);
    });
  }
  send(cmd: Cmd): void {
    this.child.send(cmd as unknown as object);
  }
}

// ---------------------------------------------------------------------------------------------
// Stages: each consumer's batches (from its /metrics) over a run, and the largest lag seen
// ---------------------------------------------------------------------------------------------

type Sample = Map<string, number>;

/** `hookstream_consumer_*` series of one app, keyed `<metric>|<topic>`. Lag is summed over partitions. */
async function scrape(url: string): Promise<Sample> {
  const out: Sample = new Map();
  try {
    const text = await (await fetch(url)).text();
    for (const line of text.split('\n')) {
      const r = /^hookstream_kafka_requests_total\{client="([^"]*)",group="[^"]*",api="([^"]+)"\} ([0-9.e+-]+)$/.exec(line);
      if (r) {
        // Summed over groups: `kafka|<client> <api>`.
        const key = `kafka|${r[1]} ${r[2]}`;
        out.set(key, (out.get(key) ?? 0) + Number(r[3]));
        continue;
      }
      const i = /^hookstream_delivery_intake_requests_total\{path="([^"]+)"\} ([0-9.e+-]+)$/.exec(line);
      if (i) {
        out.set(`intake|${i[1]}`, Number(i[2]));
        continue;
      }
      const w = /^hookstream_delivery_queue_wait_seconds_bucket\{le="([^"]+)"\} ([0-9.e+-]+)$/.exec(line);
      if (w) {
        out.set(`queueWait|${w[1]}`, Number(w[2]));
        continue;
      }
      // prom-client resets its event-loop delay histogram at every scrape: this is the 1 s sample's own.
      const lag = /^nodejs_eventloop_lag_p99_seconds ([0-9.e+-]+)$/.exec(line);
      if (lag) {
        out.set('eventLoopP99', Number(lag[1]));
        continue;
      }
      const g = /^nodejs_gc_duration_seconds_sum\{kind="([^"]+)"\} ([0-9.e+-]+)$/.exec(line);
      if (g) {
        out.set(`gc|${g[1]}`, Number(g[2]));
        continue;
      }
      const m = /^(hookstream_consumer_(?:lag|batch_size_count|batch_size_sum|batch_duration_seconds_sum|messages_total|handler_calls_total|handler_call_partitions_total))\{[^}]*topic="([^"]+)"[^}]*\} ([0-9.e+-]+)$/.exec(line);
      if (!m) continue;
      const key = `${m[1]}|${(m[2] as string).replace(/^hookstream\.|\.v1$/g, '')}`;
      out.set(key, (out.get(key) ?? 0) + Number(m[3]));
    }
  } catch {
    // an app between restarts: no sample
  }
  return out;
}

/** batches: kafkajs batches (one per partition of a fetch); calls: handler calls (a merged call holds several partitions' batches). */
interface StageFigures { messages: number; batches: number; meanBatch: number; meanBatchMs: number; busyPercent: number; maxLag: number; calls: number; partitionsPerCall: number; /** epoch ms of the last 1 s sample in which the stage handled more messages (0: never seen growing) */ lastHandledAt: number }

/** Samples every app's consumer metrics until stopped; the figures are the differences over the run. */
class StageMonitor {
  private readonly first = new Map<string, Sample>();
  private readonly last = new Map<string, Sample>();
  private readonly maxLag = new Map<string, number>();
  /** Per `app topic`: when (epoch ms) a 1 s sample last saw its handled-message count grow. */
  private readonly lastProgressAt = new Map<string, number>();
  private readonly handled = new Map<string, number>();
  /** Per app: the event loop's delay p99 of each 1 s sample, ms. */
  private readonly loopP99 = new Map<string, number[]>();
  private timer?: NodeJS.Timeout;
  private readonly t0 = Date.now();
  constructor(private readonly urls: Record<string, string>) {}
  async start(): Promise<void> {
    await this.sample(this.first);
    this.timer = setInterval(() => void this.sample(this.last), 1000);
  }
  private async sample(into: Map<string, Sample>): Promise<void> {
    await Promise.all(Object.entries(this.urls).map(async ([app, url]) => {
      const s = await scrape(url);
      if (s.size === 0) return;
      into.set(app, s);
      const lag = s.get('eventLoopP99');
      if (lag !== undefined && into === this.last) {
        const seconds = this.loopP99.get(app) ?? [];
        seconds.push(lag * 1000);
        this.loopP99.set(app, seconds);
      }
      for (const [k, v] of s) if (k.startsWith('hookstream_consumer_lag|')) {
        const key = `${app} ${k.split('|')[1]}`;
        this.maxLag.set(key, Math.max(this.maxLag.get(key) ?? 0, v));
      } else if (k.startsWith('hookstream_consumer_batch_size_sum|')) {
        const key = `${app} ${k.split('|')[1]}`;
        if (this.handled.has(key) && v > (this.handled.get(key) ?? 0)) this.lastProgressAt.set(key, Date.now());
        this.handled.set(key, v);
      }
    }));
  }
  /** Kafka requests sent over the run, per app and `<client> <api>` (from `hookstream_kafka_requests_total`). */
  requests(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [app, end] of this.last) {
      const begin = this.first.get(app) ?? new Map<string, number>();
      for (const [k, v] of end) {
        if (!k.startsWith('kafka|')) continue;
        const n = v - (begin.get(k) ?? 0);
        if (n > 0) (out[app] ??= {})[k.slice(6)] = n;
      }
    }
    return out;
  }
  /** Delivery requests taken in over the run, by intake path (`hookstream_delivery_intake_requests_total`; see apps/delivery/README.md). */
  intakePaths(): Record<string, number> {
    const end = this.last.get('delivery') ?? new Map<string, number>();
    const begin = this.first.get('delivery') ?? new Map<string, number>();
    const out: Record<string, number> = {};
    for (const [k, v] of end) if (k.startsWith('intake|')) out[k.slice(7)] = v - (begin.get(k) ?? 0);
    return out;
  }
  /**
   * How long the run's deliveries waited in delivery's endpoint queues before their attempts
   * started (`hookstream_delivery_queue_wait_seconds`): each quantile as the upper bound of its
   * histogram bucket, in ms.
   */
  queueWait(): { attempts: number; p50: number; p90: number; p99: number } | null {
    const end = this.last.get('delivery');
    if (!end) return null;
    const begin = this.first.get('delivery') ?? new Map<string, number>();
    const buckets = [...end].filter(([k]) => k.startsWith('queueWait|')).map(([k, v]) => ({ le: Number(k.slice(10).replace('+Inf', 'Infinity')), n: v - (begin.get(k) ?? 0) })).sort((a, b) => a.le - b.le);
    const total = buckets.at(-1)?.n ?? 0;
    if (total <= 0) return null;
    const q = (p: number) => (buckets.find((b) => b.n >= p * total)?.le ?? Infinity) * 1000;
    return { attempts: total, p50: q(0.5), p90: q(0.9), p99: q(0.99) };
  }
  /** Per app, the event loop's delay over the run's 1 s samples (prom-client's p99 of each): the worst second and the median one, ms. */
  eventLoopDelay(): Record<string, { worstSecondP99: number; medianSecondP99: number }> {
    const out: Record<string, { worstSecondP99: number; medianSecondP99: number }> = {};
    for (const [app, values] of this.loopP99) {
      const v = [...values].sort((a, b) => a - b);
      if (v.length > 0) out[app] = { worstSecondP99: round2(v.at(-1) as number), medianSecondP99: round2(v[Math.floor(v.length / 2)] as number) };
    }
    return out;
  }
  /** Garbage-collection pause time over the run per app, ms per event (prom-client's `nodejs_gc_duration_seconds`, by kind). */
  gcMsPerEvent(events: number): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [app, end] of this.last) {
      const begin = this.first.get(app) ?? new Map<string, number>();
      for (const [k, v] of end) if (k.startsWith('gc|')) (out[app] ??= {})[k.slice(3)] = round2(((v - (begin.get(k) ?? 0)) * 1000) / Math.max(1, events));
    }
    return out;
  }
  async stop(): Promise<Record<string, StageFigures>> {
    if (this.timer) clearInterval(this.timer);
    await this.sample(this.last);
    const seconds = (Date.now() - this.t0) / 1000;
    const out: Record<string, StageFigures> = {};
    for (const [app, end] of this.last) {
      const begin = this.first.get(app) ?? new Map<string, number>();
      const d = (metric: string, topic: string) => (end.get(`${metric}|${topic}`) ?? 0) - (begin.get(`${metric}|${topic}`) ?? 0);
      const topics = new Set([...end.keys()].map((k) => k.split('|')[1] as string));
      for (const topic of topics) {
        const batches = d('hookstream_consumer_batch_size_count', topic);
        if (batches <= 0) continue;
        const busy = d('hookstream_consumer_batch_duration_seconds_sum', topic);
        out[`${app} ← ${topic}`] = {
          messages: d('hookstream_consumer_batch_size_sum', topic),
          batches,
          meanBatch: round2(d('hookstream_consumer_batch_size_sum', topic) / batches),
          meanBatchMs: round2((busy * 1000) / batches),
          // Batch time summed over partitions handled side by side, so it can pass 100 %.
          busyPercent: round2((busy / seconds) * 100),
          maxLag: this.maxLag.get(`${app} ${topic}`) ?? 0,
          calls: d('hookstream_consumer_handler_calls_total', topic),
          partitionsPerCall: round2(d('hookstream_consumer_handler_call_partitions_total', topic) / Math.max(1, d('hookstream_consumer_handler_calls_total', topic))),
          lastHandledAt: this.lastProgressAt.get(`${app} ${topic}`) ?? 0,
        };
      }
    }
    return out;
  }
}

interface KafkaRequestFigures {
  /** All requests of all apps per accepted event. */
  total: number;
  /** Per API (all apps and clients). */
  byApi: Record<string, number>;
  /** Per app: total and per `<client> <api>`. */
  byApp: Record<string, { total: number; byApi: Record<string, number> }>;
}

const REQUEST_COLUMNS = ['Produce', 'Fetch', 'OffsetCommit', 'Heartbeat', 'Metadata'];

function requestsPerEvent(counts: Record<string, Record<string, number>>, events: number): KafkaRequestFigures {
  const per = (n: number) => Math.round((n / Math.max(1, events)) * 1000) / 1000;
  const byApi: Record<string, number> = {};
  const byApp: KafkaRequestFigures['byApp'] = {};
  let total = 0;
  for (const [app, c] of Object.entries(counts)) {
    let appTotal = 0;
    const appApi: Record<string, number> = {};
    for (const [k, n] of Object.entries(c)) {
      const api = k.split(' ')[1] as string;
      byApi[api] = (byApi[api] ?? 0) + n;
      appApi[k] = per(n);
      appTotal += n;
    }
    total += appTotal;
    byApp[app] = { total: per(appTotal), byApi: appApi };
  }
  return { total: per(total), byApi: Object.fromEntries(Object.entries(byApi).sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, per(n)])), byApp };
}

type ReceiverReply = { type: 'ready'; ports: number[] } | { type: 'report'; report: ReceiverReport };
type LoadReply = { type: 'ready' } | { type: 'done'; report: LoadReport };

async function main(): Promise<void> {
  // The hop breakdown reads the pipeline's topics, compressed when KAFKA_COMPRESSION is set.
  registerKafkaCodecs();
  const say = (m: string) => console.log(`[pipeline] ${m}`);
  const out = execFileSync('bash', [join(ROOT, 'tools/infra/up.sh')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  for (const line of out.split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line.trim());
    if (m && !process.env[m[1] as string]) process.env[m[1] as string] = (m[2] as string).replace(/^['"]|['"]$/g, '');
  }
  // The Pipeline helper creates its database through the "test" URL; here that is the dev server.
  process.env['TEST_DATABASE_URL'] ??= process.env['DATABASE_URL'];
  // Another pipeline on this machine (npm start's stack, a killed bench's apps) skews every figure.
  const others = otherHookstreamApps();
  if (others.length > 0 && process.env['BENCH_ALLOW_OTHER_APPS'] !== '1') {
    throw new Error(
      `${others.length} Hookstream app processes are already running (${others.map((o) => `${o.app} ${o.pid}`).join(', ')}): they share the CPU and the broker with the measured pipeline. Stop them (npm start's stack: Ctrl-C; left behind by a killed bench: kill ${others.map((o) => o.pid).join(' ')}), or set BENCH_ALLOW_OTHER_APPS=1 to measure anyway`,
    );
  }
  const quiet = await waitForQuiet({ maxSeconds: Number(process.env['BENCH_QUIET_WAIT'] ?? 120), busyPercent: 25, say });
  const machine = { ...machineInfo(), speedProbeMs: { before: speedProbeMs(), after: NaN } };
  say(`speed probe: ${machine.speedProbeMs.before} ms (a fixed JSON + HMAC workload; lower is faster)`);

  const receiverChild = fork(__filename, ['receivers', String(Math.max(...FANOUTS))], { stdio: 'inherit' });
  const receivers = new Rpc<ReceiverCmd, ReceiverReply>(receiverChild);
  const loadChild = fork(__filename, ['load'], { stdio: 'inherit' });
  const load = new Rpc<LoadCmd, LoadReply>(loadChild);
  const [{ ports }] = await Promise.all([receivers.next('ready'), load.next('ready')]);

  const pipeline = new Pipeline({ LOG_LEVEL: 'info', KAFKAJS_NO_PARTITIONER_WARNING: '1', ENDPOINT_ALLOWED_CIDRS: '127.0.0.1/32' });
  if (PERF_RUNS.length > 0) {
    const why = perfUnavailable();
    if (why) throw new Error(`BENCH_PERF=${PERF_RUNS.join(',')}: ${why}; or run without BENCH_PERF`);
    removeStalePerfMaps();
    for (const a of APPS) pipeline.nodeArgs[a] = [...PERF_NODE_FLAGS];
  }
  // A bench stopped by a signal takes its pipeline with it: apps left behind keep consuming the bench
  // broker's topics in their own groups — they tried to deliver every later run's events to endpoints
  // whose secrets they could not open (465k failed attempts), and made those runs 5–10× slower.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      receiverChild.kill();
      loadChild.kill();
      void pipeline.stopAll().catch(() => undefined).finally(() => process.exit(130));
    });
  }
  const results: Record<string, unknown> = {};
  try {
    say('starting the seven apps…');
    await pipeline.start();
    // The payload columns (and the feed's partitions) back to PostgreSQL's default compression.
    if (PG_COMPRESSION === 'pglz') await runSql(pipeline.env['DATABASE_URL'] as string, payloadCompressionSql('pglz'));
    if (PG_SQL) await runSql(pipeline.env['DATABASE_URL'] as string, PG_SQL);
    const demo = JSON.parse(await pipeline.cli(['seed-demo', '--inbox-url', `http://127.0.0.1:${ports[0]}/hooks`, '--public-base-url', pipeline.url('ingest-gateway'), '--json'])) as { apiKey: string; sourceId: string; sourceUrl: string; endpointId: string; endpointSecret: string };
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(pipeline.url('control-api', path), { method, headers: { authorization: `Bearer ${demo.apiKey}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
      return (await r.json()) as Record<string, unknown>;
    };
    // BENCH_ENDPOINT_MAX_CONCURRENCY: the endpoints' maxConcurrency (a per-endpoint product limit, default 10),
    // set through control-api as a user would; 0 = the product default (bench/README 'Capacity-run timeline').
    const endpointLimits = ENDPOINT_MAX_CONCURRENCY ? { maxConcurrency: ENDPOINT_MAX_CONCURRENCY } : {};
    await api('PATCH', `/v1/endpoints/${demo.endpointId}`, { eventTypes: ['purchase'], ...endpointLimits });
    // BENCH_SOURCE_RATE_LIMIT: the demo source's rateLimitPerSecond (the gateway answers 429 above it; 0 = product default).
    if (SOURCE_RATE_LIMIT) await api('PATCH', `/v1/sources/${demo.sourceId}`, { rateLimitPerSecond: SOURCE_RATE_LIMIT });
    receivers.send({ type: 'secrets', secrets: { [ports[0] as number]: demo.endpointSecret } });
    let endpoints = 1;

    const database = new URL(pipeline.env['DATABASE_URL'] as string).pathname.slice(1);
    const brokerPort = (pipeline.env['KAFKA_BROKERS'] as string).split(',')[0]?.split(':')[1] ?? '9092';
    const appPid = (a: AppName) => pipeline.pid(a) as number;
    const groups = (): Record<string, CpuSource> => {
      // The whole server (see postgresServerJiffies): backends come and go during a run.
      const postgres = postgresServerJiffies(database);
      return {
        ...Object.fromEntries(APPS.map((a) => [a, [appPid(a)]])),
        'kafka broker': [kafkaPid(brokerPort)].filter((p): p is number => p !== undefined),
        postgresql: postgres ?? [],
        'load generator (not counted)': [loadChild.pid as number],
        'receivers (not counted)': [receiverChild.pid as number],
      };
    };

    let seq = 0;
    /** Sends `count` events (closed loop when rate is null) and waits until `count × fanout` deliveries arrived. */
    const hopKafka = HOPS ? testKafka('hookstream-bench-hops', (pipeline.env['KAFKA_BROKERS'] as string).split(',')) : null;
    const brokerPid = kafkaPid(brokerPort);
    /** `perfFile`: record the whole machine with perf into this file while the run lasts. */
    const drive = async (count: number, rate: number | null, fanout: number, withPg = false, withHops = false, perfFile?: string) => {
      receivers.send({ type: 'reset' });
      // Before the run: where each topic ends, so the breakdown reads only this run's records (after it).
      const marks0 = withHops && hopKafka ? await topicMarks(hopKafka) : null;
      // Taken before the CPU groups are read, so the snapshot's own backend is not counted.
      const pg0 = withPg ? await pgSnapshot(pipeline.env['DATABASE_URL'] as string) : null;
      const sessions0 = await pgSessions(pipeline.env['DATABASE_URL'] as string);
      const cpu = new ProcessCpu(groups());
      const stages = new StageMonitor(Object.fromEntries(APPS.map((a) => [a, pipeline.url(a, '/metrics')])));
      await stages.start();
      const busy = new MachineBusyTimeline();
      const perf = perfFile ? PerfRecording.start(perfFile) : null;
      load.send({ type: 'run', url: demo.sourceUrl, fromSeq: seq, count, ratePerSecond: rate });
      seq += count;
      const { report: sent } = await load.next('done');
      const expected = sent.accepted * fanout;
      const deadline = Date.now() + RUN_BUDGET_MS;
      let last = -1;
      let lastChange = Date.now();
      let got: ReceiverReport;
      for (;;) {
        receivers.send({ type: 'report' });
        got = (await receivers.next('report')).report;
        if (got.unique >= expected) break;
        if (got.unique !== last) { last = got.unique; lastChange = Date.now(); }
        if (Date.now() > deadline || Date.now() - lastChange > STALL_MS) throw new Error(`only ${got.unique} of ${expected} deliveries arrived (stalled or over budget)`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const used = cpu.stop();
      busy.stop();
      const perfSeconds = perf ? await perf.stop() : 0;
      const stageFigures = await stages.stop();
      const pg = pg0 ? pgFigures(pg0, await pgSnapshot(pipeline.env['DATABASE_URL'] as string), sent.accepted) : null;
      const requests = requestsPerEvent(stages.requests(), sent.accepted);
      const sessions1 = await pgSessions(pipeline.env['DATABASE_URL'] as string);
      // Connections the apps opened during the run (the first read's own session is in the second).
      const newPgSessions = sessions0 !== null && sessions1 !== null ? sessions1 - sessions0 - 1 - (pg ? 1 : 0) : null;
      if (got.badSignatures > 0) throw new Error(`${got.badSignatures} deliveries failed signature verification`);
      let hops: HopBreakdown | null = null;
      if (marks0 && hopKafka) {
        receivers.send({ type: 'report', withReceipts: true });
        const receipts = (await receivers.next('report')).report.receipts ?? [];
        // The attempts' results are published just after their receipts: give the last ones a moment.
        await new Promise((r) => setTimeout(r, 500));
        hops = await hopBreakdown(hopKafka, marks0, await topicMarks(hopKafka), receipts);
      }
      let perfSummary: PerfSummary | null = null;
      if (perf && perfFile) {
        writeJvmPerfMap(brokerPid);
        // The apps' maps as of now, latest name per address (see readPerfMap).
        const maps = new Map<number, PerfMap>();
        for (const a of APPS) {
          const pid = pipeline.pid(a) as number;
          const map = readPerfMap(pid);
          if (map) maps.set(pid, map);
        }
        perfSummary = await summarisePerf(perfFile, perfSeconds, perfGroupOf, APPS, maps);
      }
      return { sent, got, used, busy, stages: stageFigures, pg, requests, gc: stages.gcMsPerEvent(sent.accepted), intake: stages.intakePaths(), queueWait: stages.queueWait(), eventLoop: stages.eventLoopDelay(), hops, newPgSessions, perf: perfSummary };
    };
    /** A perf sample's process group, named as in the CPU tables. */
    const perfGroupOf = (pid: number, comm: string): string | null => {
      for (const a of APPS) if (pipeline.pid(a) === pid) return a;
      if (pid === brokerPid) return 'kafka broker';
      if (comm === 'postgres') return 'postgresql';
      if (pid === loadChild.pid) return 'load generator (not counted)';
      if (pid === receiverChild.pid) return 'receivers (not counted)';
      return null;
    };
    const perfFileFor = (fanout: number, run: string) => (PERF_RUNS.includes(run) ? join(WORK_DIR, `${RESULT_NAME}-f${fanout}-${run === 'capacity' ? 'capacity' : `${Number(run) * 100}pct`}.perf.data`) : undefined);

    /** The warm-up before a capacity run (see WARMUP_CHUNK); every chunk's CPU per event is kept in the results. */
    const warmUp = async (fanout: number): Promise<WarmUp> => {
      const scale = fanout === 1 ? 1 : 1 / 4;
      const chunk = Math.max(1, Math.round(WARMUP_CHUNK * scale));
      const least = Math.round(WARMUP_EVENTS * scale);
      const most = Math.round(WARMUP_MAX_EVENTS * scale);
      const chunks: WarmUp['chunks'] = [];
      let sent = 0;
      let lowest = Infinity;
      let flat = 0;
      say(`fan-out ${fanout}: warm-up in chunks of ${chunk} events, until CPU per event stops falling (${least}–${most} events)…`);
      while (sent < most) {
        const n = Math.min(chunk, most - sent);
        const run = await drive(n, null, fanout);
        sent += n;
        const cpuMs = countedCpuMs(run.used.cpuSeconds, run.sent.accepted);
        chunks.push({ events: n, eventsPerSecond: round2(run.sent.accepted / ((run.got.lastAt - run.sent.startedAt) / 1000)), cpuMsPerEvent: cpuMs });
        flat = cpuMs < lowest * (1 - WARMUP_STEADY) ? 0 : flat + 1;
        lowest = Math.min(lowest, cpuMs);
        say(`  ${sent} events: ${cpuMs} ms CPU per event`);
        if (sent >= least && flat >= 3) return { fanout, events: sent, steady: true, chunks };
      }
      return { fanout, events: sent, steady: false, chunks };
    };

    // BENCH_PROFILE_APP wins whatever the fan-outs; otherwise the app with the most CPU at fan-out 1 (delivery without one).
    let biggest: AppName = PROFILE_APP ?? 'delivery';
    let f1Capacity = 0;
    for (const fanout of FANOUTS) {
      while (endpoints < fanout) {
        const port = ports[endpoints] as number;
        const ep = await api('POST', '/v1/endpoints', { url: `http://127.0.0.1:${port}/hooks`, eventTypes: ['purchase'], ...endpointLimits });
        receivers.send({ type: 'secrets', secrets: { [port]: String(ep['secret']) } });
        endpoints++;
      }
      if (fanout > 1) {
        // The new endpoints reach automation and delivery through the config topic (well under a
        // second); a probe then proves every endpoint gets its deliveries before the measured run.
        await new Promise((r) => setTimeout(r, 3000));
        await drive(100, null, fanout);
      }
      const warm = await warmUp(fanout);
      const events = fanout === 1 ? CAPACITY_EVENTS : Math.round(CAPACITY_EVENTS / 4);
      say(`fan-out ${fanout}: capacity run, ${events} events as fast as the gateway takes them…`);
      const cap = await drive(events, null, fanout, true, false, perfFileFor(fanout, 'capacity'));
      const windowS = (cap.got.lastAt - cap.sent.startedAt) / 1000;
      const capacity = cap.sent.accepted / windowS;
      // Where the window goes: the POST phase (closed loop, gateway answers) vs the drain after it,
      // and when each stage last handled a message (1 s resolution), all from the first POST.
      const postPhaseS = (cap.sent.endedAt - cap.sent.startedAt) / 1000;
      const timeline = {
        postPhaseSeconds: round2(postPhaseS),
        acceptedPerSecondDuringPosts: round2(cap.sent.accepted / postPhaseS),
        rateLimited429: cap.sent.other['429'] ?? 0,
        firstDeliverySeconds: round2((cap.got.firstAt - cap.sent.startedAt) / 1000),
        lastDeliverySeconds: round2(windowS),
        stageLastHandledSeconds: Object.fromEntries(Object.entries(cap.stages).map(([k, f]) => [k, f.lastHandledAt ? round2((f.lastHandledAt - cap.sent.startedAt) / 1000) : null])),
        // Whole machine (receivers and load generator included), 0.5 s samples: near nproc means
        // that phase was bound by CPU, not by a wait inside the pipeline.
        busyCores: { posting: cap.busy.coresBetween(cap.sent.startedAt, cap.sent.endedAt), draining: cap.busy.coresBetween(cap.sent.endedAt, cap.got.lastAt) },
      };
      say(`  timeline: POSTs ended at ${timeline.postPhaseSeconds} s (${timeline.acceptedPerSecondDuringPosts} accepted/s, ${timeline.rateLimited429} × 429), first delivery ${timeline.firstDeliverySeconds} s, last ${timeline.lastDeliverySeconds} s; machine busy ${timeline.busyCores.posting ?? '?'} cores while posting, ${timeline.busyCores.draining ?? '?'} after; stages last handled at ${Object.entries(timeline.stageLastHandledSeconds).map(([k, v]) => `${k} ${v ?? '?'} s`).join(', ')}`);
      const totalCpu = countedCpuSeconds(cap.used.cpuSeconds);
      const perProcess = Object.fromEntries(Object.entries(cap.used.cpuSeconds).map(([k, v]) => [k, { cpuMsPerEvent: round2((v * 1000) / cap.sent.accepted), sharePercent: k.includes('not counted') ? null : round2((v / totalCpu) * 100), cores: round2(v / cap.used.seconds) }]));
      if (fanout === 1) f1Capacity = capacity;
      if (fanout === 1) biggest = PROFILE_APP ?? APPS.reduce((a, b) => ((cap.used.cpuSeconds[b] ?? 0) > (cap.used.cpuSeconds[a] ?? 0) ? b : a));
      say(`fan-out ${fanout}: ${round2(capacity)} events/s (${round2(capacity * fanout)} deliveries/s), ${countedCpuMs(cap.used.cpuSeconds, cap.sent.accepted)} ms CPU per event`);
      say(`  broker CPU ${perProcess['kafka broker']?.cpuMsPerEvent} ms/event; Kafka requests per event: ${cap.requests.total} (${Object.entries(cap.requests.byApi).map(([k, v]) => `${k} ${v}`).join(', ')})`);
      for (const [stage, f] of Object.entries(cap.stages)) say(`  ${stage}: ${f.batches} batches of ${f.meanBatch}, ${f.meanBatchMs} ms each, busy ${f.busyPercent} %, max lag ${f.maxLag}; ${f.calls} handler calls (${f.partitionsPerCall} partitions each)`);
      say(`  cores: ${Object.entries(perProcess).map(([k, v]) => `${k} ${v.cores}`).join(', ')}`);
      say(`  PostgreSQL connections opened during the run: ${cap.newPgSessions ?? '?'}; connections delivery opened to the receivers: ${cap.got.connections}`);
      say(`  delivery intake paths: ${Object.entries(cap.intake).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      if (cap.pg) say(`  PostgreSQL: ${cap.pg.commitsPerEvent} commits/event, ${cap.pg.statementsPerEvent ?? '?'} statements/event${cap.pg.statements ? '' : ' (pg_stat_statements not available)'}`);

      const latency: Record<string, unknown> = {};
      const perfRuns: Record<string, PerfSummary> = {};
      if (cap.perf) perfRuns['capacity'] = cap.perf;
      for (const p of LOAD_POINTS) {
        const rate = Math.max(1, Math.round((LOAD_BASE[FANOUTS.indexOf(fanout)] ?? capacity) * p));
        say(`fan-out ${fanout}: ${p * 100} % of capacity, ${rate} events/s for ${LATENCY_SECONDS} s…`);
        const run = await drive(rate * LATENCY_SECONDS, rate, fanout, false, true, perfFileFor(fanout, String(p)));
        if (run.perf) perfRuns[`${p * 100}% load`] = run.perf;
        latency[`${p * 100}%`] = { ratePerSecond: rate, hops: run.hops, accepted: run.sent.accepted, rejected: run.sent.other, errors: run.sent.errors, postToSignedReceiptMs: latencySummary(run.got.latencies), postAnswerMs: latencySummary(run.sent.postLatencies), deliveryQueueWaitMs: run.queueWait, eventLoopDelayMs: run.eventLoop, stages: run.stages, kafkaRequestsPerEvent: run.requests, newPgSessions: run.newPgSessions, receiverConnections: run.got.connections, gcMsPerEvent: run.gc, cpuMsPerEvent: Object.fromEntries(Object.entries(run.used.cpuSeconds).map(([k, v]) => [k, round2((v * 1000) / Math.max(1, run.sent.accepted))])) };
        const l = latencySummary(run.got.latencies);
        say(`  broker CPU ${round2(((run.used.cpuSeconds['kafka broker'] ?? 0) * 1000) / Math.max(1, run.sent.accepted))} ms/event; Kafka requests per event: ${run.requests.total} (${Object.entries(run.requests.byApi).map(([k, v]) => `${k} ${v}`).join(', ')})`);
        say(`  p50 / p90 / p99 ${l.p50} / ${l.p90} / ${l.p99} ms; PostgreSQL connections opened ${run.newPgSessions ?? '?'}, connections to the receivers ${run.got.connections}; ${Object.entries(run.stages).map(([k, f]) => `${k} ${f.meanBatch}×${f.meanBatchMs} ms`).join(', ')}`);
        if (run.hops) say(`  hops p50 / p99 (ms): ${Object.entries(run.hops.hops).map(([h, s]) => `${h} ${s.p50} / ${s.p99}`).join(', ')}; slowest 1 % mean: ${Object.entries(run.hops.slowestPercentMean).map(([h, v]) => `${h} ${v}`).join(', ')} (${run.hops.matched} matched, ${run.hops.unmatched} not); delivery: to attempt ${run.hops.deliverySplit.toAttempt.p50} / ${run.hops.deliverySplit.toAttempt.p99}, attempt → receipt ${run.hops.deliverySplit.attemptToReceipt.p50} / ${run.hops.deliverySplit.attemptToReceipt.p99}`);
        if (run.queueWait) say(`  delivery queue wait p50 / p90 / p99 ≤ ${run.queueWait.p50} / ${run.queueWait.p90} / ${run.queueWait.p99} ms (${run.queueWait.attempts} attempts); event loop p99, worst second: ${Object.entries(run.eventLoop).map(([a, v]) => `${a} ${v.worstSecondP99}`).join(', ')} ms`);
        // CPU at this load: per event it is far above the capacity run's when batches are small.
        const at = Object.fromEntries(Object.entries(run.used.cpuSeconds).map(([k, v]) => [k, { cpuMsPerEvent: round2((v * 1000) / Math.max(1, run.sent.accepted)), cores: round2(v / run.used.seconds) }]));
        (latency[`${p * 100}%`] as Record<string, unknown>)['cpu'] = at;
        say(`  CPU ms / event (cores): ${Object.entries(at).map(([k, v]) => `${k} ${v.cpuMsPerEvent} (${v.cores})`).join(', ')}`);
      }
      results[`fanout${fanout}`] = {
        endpoints: fanout,
        warmUp: warm,
        capacity: { events: cap.sent.accepted, eventsPerSecond: round2(capacity), deliveriesPerSecond: round2(capacity * fanout), windowSeconds: round2(windowS), timeline, newPgSessions: cap.newPgSessions, receiverConnections: cap.got.connections, duplicates: cap.got.duplicates, non202: cap.sent.other, errors: cap.sent.errors },
        cpu: { totalMsPerEvent: countedCpuMs(cap.used.cpuSeconds, cap.sent.accepted), perProcess },
        stages: cap.stages,
        postgresql: cap.pg,
        kafkaRequestsPerEvent: cap.requests,
        gcMsPerEvent: cap.gc,
        deliveryIntakePaths: cap.intake,
        latency,
        ...(Object.keys(perfRuns).length > 0 ? { perf: perfRuns } : {}),
      };
    }

    if (PROFILE) {
      say(`profiling ${biggest} (${PROFILE_APP ? 'BENCH_PROFILE_APP' : 'the process with the most CPU at fan-out 1'})…`);
      const profDir = join(WORK_DIR, `pipeline-prof-${Date.now()}`);
      mkdirSync(profDir, { recursive: true });
      pipeline.nodeArgs[biggest] = ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '-r', './tools/bench/support/exit-on-usr2.js'];
      await pipeline.restart(biggest);
      // The restarted app is cold again: warm it up, and summarise only the samples of the profiled run.
      await warmUp(endpoints);
      const fromUs = Number(process.hrtime.bigint() / 1000n);
      if (PROFILE_LOAD > 0) {
        const rate = Math.max(1, Math.round(f1Capacity * PROFILE_LOAD));
        say(`  at ${PROFILE_LOAD * 100} % of capacity, ${rate} events/s for ${LATENCY_SECONDS} s`);
        await drive(rate * LATENCY_SECONDS, rate, endpoints);
      } else await drive(Math.round(CAPACITY_EVENTS / 2), null, endpoints);
      const toUs = Number(process.hrtime.bigint() / 1000n);
      // SIGUSR2 makes the app exit normally, which is when V8 writes the profile.
      await pipeline.kill(biggest, 'SIGUSR2');
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) {
        const kept = join(ROOT, 'bench/results', `pipeline-${biggest}.cpuprofile`);
        if (statSync(join(profDir, file)).size < 8 * 1024 * 1024) copyFileSync(join(profDir, file), kept);
        results['profile'] = { app: biggest, fanout: endpoints, kept: statSync(join(profDir, file)).size < 8 * 1024 * 1024 ? 'bench/results/' + `pipeline-${biggest}.cpuprofile` : join(profDir, file), summary: summariseCpuProfile(join(profDir, file), 25, { fromUs, toUs }) };
      }
    }
  } finally {
    // Peak resident memory of each app over the whole run (VmHWM), e.g. to weigh a larger young generation.
    results['peakRssMiB'] = Object.fromEntries(APPS.map((a) => [a, peakRssMiB(pipeline.pid(a))]));
    await pipeline.stopAll().catch(() => undefined);
    receiverChild.kill();
    loadChild.kill();
  }
  machine.speedProbeMs.after = speedProbeMs();

  const f1 = results['fanout1'] as { capacity: { eventsPerSecond: number }; cpu: { totalMsPerEvent: number }; latency: Record<string, { postToSignedReceiptMs: { p99: number } }> } | undefined;
  const f10 = results['fanout10'] as { capacity: { deliveriesPerSecond: number } } | undefined;
  const doc = {
    bench: 'pipeline', machine, quiet, settings: { CAPACITY_EVENTS, WARMUP_CHUNK, WARMUP_EVENTS, WARMUP_MAX_EVENTS, WARMUP_STEADY, KAFKA_COMPRESSION, PAYLOAD_BYTES, PG_COMPRESSION, LATENCY_SECONDS, FANOUTS, CONNECTIONS, logLevel: 'info', endpointMaxConcurrency: ENDPOINT_MAX_CONCURRENCY ?? 'product default (10)', sourceRateLimitPerSecond: SOURCE_RATE_LIMIT ?? 'product default (1000)' },
    targets: TARGETS, before: BEFORE, results,
    againstTargets: {
      capacityFanout1: f1 ? { value: f1.capacity.eventsPerSecond, target: TARGETS.capacityFanout1, before: BEFORE.capacityFanout1, met: f1.capacity.eventsPerSecond >= TARGETS.capacityFanout1 } : null,
      cpuMsPerEvent: f1 ? { value: f1.cpu.totalMsPerEvent, target: TARGETS.cpuMsPerEvent, before: BEFORE.cpuMsPerEvent, met: f1.cpu.totalMsPerEvent <= TARGETS.cpuMsPerEvent } : null,
      deliveriesPerSecondFanout10: f10 ? { value: f10.capacity.deliveriesPerSecond, target: TARGETS.deliveriesPerSecondFanout10, before: BEFORE.deliveriesPerSecondFanout10, met: f10.capacity.deliveriesPerSecond >= TARGETS.deliveriesPerSecondFanout10 } : null,
      p99At50Percent: f1 ? { value: f1.latency['50%']?.postToSignedReceiptMs.p99, target: TARGETS.p99At50PercentMs, met: (f1.latency['50%']?.postToSignedReceiptMs.p99 ?? Infinity) < TARGETS.p99At50PercentMs } : null,
    },
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, `bench/results/${RESULT_NAME}.json`), JSON.stringify(doc, null, 2) + '\n');
  writeFileSync(join(ROOT, `bench/results/${RESULT_NAME}.md`), markdown(doc));
  say(`results in bench/results/${RESULT_NAME}.{json,md}`);
}

/** What a warm-up ran: its chunks' CPU per event, and whether it ended because that stopped falling. */
interface WarmUp {
  fanout: number;
  events: number;
  steady: boolean;
  chunks: { events: number; eventsPerSecond: number; cpuMsPerEvent: number }[];
}

/** CPU seconds of the Hookstream processes (the bench's own load generator and receivers are not counted). */
function countedCpuSeconds(cpuSeconds: Record<string, number>): number {
  return Object.entries(cpuSeconds).reduce((a, [k, v]) => (k.includes('not counted') ? a : a + v), 0);
}

function countedCpuMs(cpuSeconds: Record<string, number>, events: number): number {
  return round2((countedCpuSeconds(cpuSeconds) * 1000) / Math.max(1, events));
}

function warmUpMarkdown(w: WarmUp): string {
  const chunk = w.chunks[0]?.events ?? 0;
  const ended = w.steady ? `steady after ${w.events} events` : `**still falling** when it stopped at ${w.events} events (BENCH_WARMUP_MAX_EVENTS): the figures below include warm-up`;
  return `Warm-up at fan-out ${w.fanout}, ${chunk}-event chunks, CPU ms per event: ${w.chunks.map((c) => c.cpuMsPerEvent).join(', ')} (${ended}).`;
}

function markdown(doc: { machine: ReturnType<typeof machineInfo> & { speedProbeMs: { before: number; after: number } }; quiet: { busyPercent: number }; settings: { endpointMaxConcurrency: number | string; sourceRateLimitPerSecond: number | string; KAFKA_COMPRESSION: string; PAYLOAD_BYTES: number; PG_COMPRESSION: string }; results: Record<string, unknown>; againstTargets: Record<string, unknown> }): string {
  const m = doc.machine;
  const lines = [
    `# pipeline bench`, '',
    `Machine: ${m.nproc} cores, ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.date}, load ${m.loadAverage.join(' ')}, busy before start ${doc.quiet.busyPercent} %; speed probe ${m.speedProbeMs.before} ms before, ${m.speedProbeMs.after} ms after (a fixed JSON + HMAC workload, lower is faster: compare runs only at similar probes).`, '',
    `KAFKA_COMPRESSION ${doc.settings.KAFKA_COMPRESSION}; ${doc.settings.PAYLOAD_BYTES ? `request bodies of ~${doc.settings.PAYLOAD_BYTES} bytes (line items)` : 'the ~200-byte purchase body'}; payload columns compressed with ${doc.settings.PG_COMPRESSION}.`, '',
    `Tenant limits: endpoint maxConcurrency ${doc.settings.endpointMaxConcurrency}, source rateLimitPerSecond ${doc.settings.sourceRateLimitPerSecond}.`, '',
  ];
  for (const [k, v] of Object.entries(doc.results)) {
    if (!k.startsWith('fanout')) continue;
    const r = v as { endpoints: number; capacity: { eventsPerSecond: number; deliveriesPerSecond: number }; cpu: { totalMsPerEvent: number; perProcess: Record<string, { cpuMsPerEvent: number; sharePercent: number | null }> }; latency: Record<string, { ratePerSecond: number; postToSignedReceiptMs: { p50: number; p90: number; p99: number }; hops?: HopBreakdown | null }> };
    lines.push(`## fan-out ${r.endpoints}`, '', `Capacity: **${r.capacity.eventsPerSecond} events/s** (${r.capacity.deliveriesPerSecond} deliveries/s); CPU **${r.cpu.totalMsPerEvent} ms per event** over all Hookstream processes.`, '');
    const warm = (v as { warmUp?: WarmUp }).warmUp;
    if (warm) lines.push(warmUpMarkdown(warm), '');
    const tl = (r.capacity as { timeline?: { postPhaseSeconds: number; acceptedPerSecondDuringPosts: number; rateLimited429: number; firstDeliverySeconds: number; lastDeliverySeconds: number; stageLastHandledSeconds: Record<string, number | null>; busyCores?: { posting: number | null; draining: number | null } } }).timeline;
    if (tl) lines.push(`Capacity-run timeline (s from the first POST): POSTs ended at **${tl.postPhaseSeconds}** (${tl.acceptedPerSecondDuringPosts} accepted/s while posting, ${tl.rateLimited429} × 429), first delivery ${tl.firstDeliverySeconds}, last delivery **${tl.lastDeliverySeconds}**; the machine was busy ${tl.busyCores?.posting ?? '?'} cores while posting and ${tl.busyCores?.draining ?? '?'} after (of ${doc.machine.nproc}); each stage last handled a message at (1 s samples): ${Object.entries(tl.stageLastHandledSeconds).map(([k, t]) => `${k} ${t ?? '?'}`).join(', ')}.`, '');
    lines.push('| process | CPU ms / event | share |', '|---|---|---|');
    for (const [p, c] of Object.entries(r.cpu.perProcess)) lines.push(`| ${p} | ${c.cpuMsPerEvent} | ${c.sharePercent ?? '–'} % |`);
    const st = (v as { stages?: Record<string, StageFigures> }).stages;
    if (st && Object.keys(st).length > 0) {
      lines.push('', '| consumer ← topic (capacity run) | batches | mean batch | mean ms / batch | busy | max lag | handler calls | partitions / call |', '|---|---|---|---|---|---|---|---|');
      for (const [k, f] of Object.entries(st)) lines.push(`| ${k} | ${f.batches} | ${f.meanBatch} | ${f.meanBatchMs} | ${f.busyPercent} % | ${f.maxLag} | ${f.calls} | ${f.partitionsPerCall} |`);
    }
    const gc = (v as { gcMsPerEvent?: Record<string, Record<string, number>> }).gcMsPerEvent;
    if (gc) lines.push('', 'GC pause ms / event (capacity run, minor = young-generation scavenges): ' + Object.entries(gc).map(([a, k]) => `${a} ${k['minor'] ?? 0} minor / ${round2(Object.values(k).reduce((x, y) => x + y, 0))} all`).join(', ') + '.');
    const intake = (v as { deliveryIntakePaths?: Record<string, number> }).deliveryIntakePaths;
    if (intake && Object.keys(intake).length > 0) lines.push('', 'Delivery requests by intake path (capacity run): ' + Object.entries(intake).map(([k, n]) => `${k} ${n}`).join(', ') + '.');
    const pg = (v as { postgresql?: PgFigures | null }).postgresql;
    if (pg) lines.push('', ...pgMarkdown(pg));
    lines.push('', '| load | rate (events/s) | POST → signed receipt p50 / p90 / p99 (ms) | delivery queue wait p50 / p90 / p99 (ms, ≤ bucket) | event loop p99 in the worst second (ms) |', '|---|---|---|---|---|');
    for (const [p, l] of Object.entries(r.latency)) {
      const w = (l as { deliveryQueueWaitMs?: { p50: number; p90: number; p99: number } | null }).deliveryQueueWaitMs;
      const loop = (l as { eventLoopDelayMs?: Record<string, { worstSecondP99: number }> }).eventLoopDelayMs ?? {};
      lines.push(`| ${p} | ${l.ratePerSecond} | ${l.postToSignedReceiptMs.p50} / ${l.postToSignedReceiptMs.p90} / ${l.postToSignedReceiptMs.p99} | ${w ? `${w.p50} / ${w.p90} / ${w.p99}` : '–'} | ${Object.entries(loop).map(([a, v]) => `${a} ${v.worstSecondP99}`).join(', ') || '–'} |`);
    }
    const opened = Object.entries(r.latency).map(([p, l]) => { const o = l as { newPgSessions?: number | null; receiverConnections?: number }; return `${p} ${o.newPgSessions ?? '–'} / ${o.receiverConnections ?? '–'}`; });
    lines.push('', `Connections opened during each run, to PostgreSQL by the apps (a pool growing back after closing idle ones) / to the receivers by delivery: ${opened.join(', ')}.`);
    const withHops = Object.entries(r.latency).filter(([, l]) => l.hops);
    if (withHops.length > 0) {
      lines.push('', '### Where POST → signed receipt goes, per hop (ms, p50 / p99)', '', 'Each hop ends when its stage built the produce request of its output record (Kafka CreateTime, read back after the run) — so it includes the upstream acknowledgement, the wait for the next fetch and the handler; delivery ends at the endpoint\'s receipt (tools/bench/support/hops.ts).', '', ...HOP_TABLE_HEAD);
      for (const [p, l] of withHops) if (l.hops) lines.push(...hopMarkdown(p, l.ratePerSecond, l.hops));
    }
    const runs: [string, KafkaRequestFigures | undefined][] = [['capacity', (v as { kafkaRequestsPerEvent?: KafkaRequestFigures }).kafkaRequestsPerEvent], ...Object.entries(r.latency).map(([p, l]) => [`${p} load`, (l as { kafkaRequestsPerEvent?: KafkaRequestFigures }).kafkaRequestsPerEvent] as [string, KafkaRequestFigures | undefined])];
    if (runs.some(([, f]) => f)) {
      lines.push('', '### Kafka requests per event, by app and API', '');
      const brokerMs = [r.cpu.perProcess['kafka broker']?.cpuMsPerEvent, ...Object.values(r.latency).map((l) => (l as { cpuMsPerEvent?: Record<string, number> }).cpuMsPerEvent?.['kafka broker'])];
      lines.push(`| run | broker CPU ms / event | requests / event | ${REQUEST_COLUMNS.join(' | ')} | other |`, `|---|---|---|${REQUEST_COLUMNS.map(() => '---|').join('')}---|`);
      runs.forEach(([name, f], i) => {
        if (f) lines.push(`| ${name} | ${brokerMs[i] ?? '–'} | **${f.total}** | ${REQUEST_COLUMNS.map((c) => f.byApi[c] ?? 0).join(' | ')} | ${round2(Object.entries(f.byApi).filter(([k]) => !REQUEST_COLUMNS.includes(k)).reduce((a, [, n]) => a + n, 0))} |`);
      });
      const cap = runs[0]?.[1];
      if (cap) {
        lines.push('', '| app (capacity run) | requests / event | by client and API |', '|---|---|---|');
        for (const [app, a] of Object.entries(cap.byApp)) lines.push(`| ${app} | ${a.total} | ${Object.entries(a.byApi).sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${n}`).join(', ')} |`);
      }
    }
    const perf = (v as { perf?: Record<string, PerfSummary> }).perf;
    for (const [run, s] of Object.entries(perf ?? {})) lines.push('', perfMarkdown(`On-CPU profile of the whole machine, fan-out ${r.endpoints}, ${run} run`, s));
    lines.push('');
  }
  const rss = doc.results['peakRssMiB'] as Record<string, number | null> | undefined;
  if (rss) lines.push('Peak RSS (VmHWM, MiB) over the run: ' + Object.entries(rss).map(([a, m]) => `${a} ${m ?? '–'}`).join(', ') + '.', '');
  lines.push('## against the targets (issue 13)', '', '```json', JSON.stringify(doc.againstTargets, null, 2), '```', '');
  const prof = doc.results['profile'] as { app: string; kept: string; summary: { topFunctions: { name: string; category: string; percent: number }[]; categories: { category: string; percent: number }[] } } | undefined;
  if (prof) {
    lines.push(`## profile of ${prof.app}`, '', `Kept at \`${prof.kept}\`.`, '', '| category | share |', '|---|---|');
    for (const c of prof.summary.categories.slice(0, 12)) lines.push(`| ${c.category} | ${c.percent} % |`);
    lines.push('', '| function | category | self share |', '|---|---|---|');
    for (const f of prof.summary.topFunctions.slice(0, 15)) lines.push(`| ${f.name} | ${f.category} | ${f.percent} % |`);
  }
  return lines.join('\n') + '\n';
}

if (process.argv[2] === 'receivers') receiversMain(Number(process.argv[3]));
else if (process.argv[2] === 'load') loadMain();
else main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
