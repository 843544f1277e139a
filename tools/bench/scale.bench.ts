// How the per-operation cost grows with the data (issue 13, "Scale"): dedupe keys, contacts, feed
// partitions, endpoints in memory, deliveries. Each dimension is filled step by step to growing sizes in a
// database of its own (dropped at the end) and, at each size, the project's own code is timed on
// the path that dimension touches. The machine is shared: read the ratios (cost at N / cost at the
// smallest size, same run), not the absolute milliseconds.
// Run: npm run bench -- scale
// Env: DATABASE_URL (the local hookstream database; a bench database is created next to it),
//      BENCH_DEDUPE_SIZES (100000,1000000,5000000), BENCH_CONTACT_SIZES (10000,100000,1000000),
//      BENCH_FEED_DAYS (1,7,30), BENCH_FEED_ROWS_PER_DAY (20000), BENCH_ENDPOINT_SIZES (100,1000,10000),
//      BENCH_DELIVERY_SIZES (100000,1000000,3000000), BENCH_REPS (15: timed batches per size; the
//      median is reported), BENCH_SCALE_DIMENSIONS (all: endpoints,feed,contacts,dedupe,deliveries,retention),
//      BENCH_RETENTION_SIZES (100000,1000000: expired rows one retention run deletes),
//      BENCH_RESULT_NAME (scale: bench/results/<name>.json and .md).
import { createDataSource, dedupeKeyBytesSql, migrateWithLock, type DataSource } from '@hookstream/db';
import { deliveryIds, emptyLocation, newId, stableHash, type CanonicalEvent, type DeliveryRequestDto, type EndpointSnapshot } from '@hookstream/contracts';
import { SubscriptionIndex } from '@hookstream/rules';
import type { Contact } from '@hookstream/rules';
import { Client } from 'pg';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DedupeRepository, dedupeKeyBytes } from '../../apps/validator/src/validation/dedupe.repository';
import { ContactsRepository, type ContactWrite } from '../../apps/automation/src/automation/contacts.repository';
import { DeliveriesRepository } from '../../apps/delivery/src/storage/deliveries.repository';
import { DeliveryRetentionService } from '../../apps/delivery/src/storage/delivery-retention.service';
import { DeliveryConfig } from '../../apps/delivery/src/delivery.config';
import { DedupePurgeService } from '../../apps/validator/src/validation/dedupe-purge.service';
import { ValidatorConfig } from '../../apps/validator/src/validator.config';
import { emptySummary, FeedRepository, partitionName, utcDay, type FeedRow } from '@hookstream/feed-store';
import { machineInfo, roundedLoad, round2 } from './support/machine';

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://hookstream:hookstream@127.0.0.1:5432/hookstream';
const sizes = (name: string, dflt: number[]): number[] => (process.env[name] ? process.env[name].split(',').map(Number) : dflt).sort((a, b) => a - b);
const DEDUPE_SIZES = sizes('BENCH_DEDUPE_SIZES', [100_000, 1_000_000, 5_000_000]);
const CONTACT_SIZES = sizes('BENCH_CONTACT_SIZES', [10_000, 100_000, 1_000_000]);
const FEED_DAYS = sizes('BENCH_FEED_DAYS', [1, 7, 30]);
const FEED_ROWS_PER_DAY = Number(process.env['BENCH_FEED_ROWS_PER_DAY'] ?? 20_000);
const ENDPOINT_SIZES = sizes('BENCH_ENDPOINT_SIZES', [100, 1_000, 10_000]);
const DELIVERY_SIZES = sizes('BENCH_DELIVERY_SIZES', [100_000, 1_000_000, 3_000_000]);
const RETENTION_SIZES = sizes('BENCH_RETENTION_SIZES', [100_000, 1_000_000]);
const DIMENSIONS = new Set((process.env['BENCH_SCALE_DIMENSIONS'] ?? 'endpoints,feed,contacts,dedupe,deliveries,retention').split(',').map((d) => d.trim()));
/** Deliveries per first-attempt statement: what the pipeline's statements carry (bench/README.md, session 20). */
const DELIVERY_BATCH = 32;
const REPS = Number(process.env['BENCH_REPS'] ?? 15);
const BATCH = 500;
const ROOT = join(__dirname, '..', '..');
const tag = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const log = (msg: string): void => console.log(`[scale.bench] ${msg}`);

interface Point { size: number; msPerOp: number; ratio: number; note?: string }
interface Series { dimension: string; operation: string; unit: string; points: Point[] }
interface Explain { what: string; plan: string }

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(reps: number, op: (i: number) => Promise<unknown> | unknown): Promise<number> {
  await op(-1); // warm the plan and the pages
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await op(i);
    ms.push(performance.now() - t0);
  }
  return round2(median(ms));
}

function withRatios(points: Omit<Point, 'ratio'>[]): Point[] {
  const base = points[0]?.msPerOp || 1;
  return points.map((p) => ({ ...p, ratio: round2(p.msPerOp / base) }));
}

/** The server's WAL position in bytes (cluster-wide). */
async function walPosition(ds: DataSource): Promise<number> {
  return Number((await ds.query<{ l: string }[]>(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS l`))[0].l);
}

async function relationSize(ds: DataSource, rel: string): Promise<string> {
  const [r] = await ds.query<{ s: string }[]>(`SELECT pg_size_pretty(pg_total_relation_size($1::regclass)) AS s`, [rel]);
  return r.s;
}

async function explain(ds: DataSource, sql: string, params: unknown[]): Promise<string> {
  const rows = await ds.query<{ 'QUERY PLAN': string }[]>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) ${sql}`, params);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

// ------------------------------------------------------------------------------------------------
// Dedupe keys: the validator's DedupeRepository.claim (one INSERT … ON CONFLICT per batch)
// ------------------------------------------------------------------------------------------------
async function dedupe(ds: DataSource, explains: Explain[]): Promise<Series[]> {
  const repo = new DedupeRepository(ds);
  const pts = { content: [] as Omit<Point, 'ratio'>[], sequential: [] as Omit<Point, 'ratio'>[] };
  let have = 0;
  let fresh = 0;
  // New keys of a batch: content keys as the validator makes them (`sha256:` + 64 hex digits of the
  // canonical body: random), or idempotency keys a sender numbers in order (`idem:order-N`).
  const newKey = (kind: 'content' | 'sequential', n: number): string =>
    kind === 'content' ? `sha256:${createHash('sha256').update(`${tag}/${n}`).digest('hex')}` : `idem:order-${tag}-${String(n).padStart(10, '0')}`;
  for (const size of DEDUPE_SIZES) {
    const t0 = performance.now();
    // 40 sources (ids as long as real ones), content keys first seen over the last 4 days.
    await ds.query(
      `INSERT INTO dedupe_keys (key_bytes, source_id, event_id, duplicate_count, first_seen_at, expires_at)
       SELECT ${dedupeKeyBytesSql(SQL_SOURCE, "'sha256:' || encode(sha256(g::text::bytea), 'hex')")}, ${SQL_SOURCE}, 'evt_' || g, 0,
              now() - (g % 345600) * interval '1 second', now() + interval '4 days'
         FROM generate_series($1::bigint, $2::bigint) g`,
      [have + 1, size],
    );
    await ds.query('ANALYZE dedupe_keys');
    const fillS = (performance.now() - t0) / 1000;
    have = size;
    for (const kind of ['content', 'sequential'] as const) {
      // From a checkpoint, as a server in steady state is after each one: the first change to a page
      // writes the whole page to the WAL, so random keys cost WAL in proportion to the index's pages.
      const checkpoint = await ds.query('CHECKPOINT').then(() => true, () => false);
      const wal0 = await walPosition(ds);
      // A batch as the validator sends it: new keys, and 5 % repeats of stored ones (duplicates).
      const ms = await timed(REPS, () => {
        const claims = Array.from({ length: BATCH }, (_, i) => {
          if (i % 20 === 0) {
            const g = 1 + Math.floor(Math.random() * have);
            return { sourceId: benchSource(g), key: `sha256:${sha256Hex(g)}`, eventId: `evt_dup_${tag}_${fresh++}` };
          }
          fresh++;
          return { sourceId: benchSource(fresh), key: newKey(kind, fresh), eventId: `evt_new_${fresh}` };
        });
        // The validator claims each key once per batch (repeats are counted, not claimed twice).
        const once = [...new Map(claims.map((c) => [`${c.sourceId}\u0000${c.key}`, c])).values()];
        return repo.claim(once, 4);
      });
      const walPerKey = Math.round(((await walPosition(ds)) - wal0) / ((REPS + 1) * BATCH));
      const bytes = await relationSize(ds, 'dedupe_keys');
      const pkey = await relationSize(ds, 'dedupe_keys_pkey');
      pts[kind].push({ size, msPerOp: ms, note: `${walPerKey.toLocaleString('en-US')} WAL bytes per key claimed${checkpoint ? ' from a checkpoint' : ' (no CHECKPOINT: the role lacks pg_checkpoint)'}; table+indexes ${bytes}, primary key ${pkey}; filled in ${fillS.toFixed(0)} s` });
      log(`dedupe ${size.toLocaleString('en-US')} keys, new ${kind} keys: claim(${BATCH}) ${ms} ms, ${walPerKey} WAL B per key (${bytes}, primary key ${pkey})`);
    }
  }
  explains.push({
    what: `dedupe_keys at ${have.toLocaleString('en-US')} rows: the lookup ON CONFLICT makes (primary key probe)`,
    plan: await explain(ds, 'SELECT event_id FROM dedupe_keys WHERE key_bytes = $1', [dedupeKeyBytes(benchSource(7), `sha256:${sha256Hex(7)}`)]),
  });
  const op = (keys: string) => `DedupeRepository.claim, batch of ${BATCH}: ${keys}, and 5 % stored keys`;
  return [
    { dimension: 'dedupe keys', operation: op('new content keys (random)'), unit: 'ms per batch', points: withRatios(pts.content) },
    { dimension: 'dedupe keys', operation: op('new idempotency keys numbered in order'), unit: 'ms per batch', points: withRatios(pts.sequential) },
  ];
}

// ------------------------------------------------------------------------------------------------
// Deliveries: delivery's first-attempt write (the row with its outcome + the attempt row), with the
// delivery ids of before 2026-12-06 (a hash: a random place in the primary keys) and of now
// (deliveryIds: the event id's time first), into the same tables, filled with hash ids.
// ------------------------------------------------------------------------------------------------
async function deliveries(ds: DataSource, explains: Explain[]): Promise<Series[]> {
  const repo = new DeliveriesRepository(ds);
  const top = DELIVERY_SIZES[DELIVERY_SIZES.length - 1] ?? 0;
  const pts = { hash: [] as Omit<Point, 'ratio'>[], ordered: [] as Omit<Point, 'ratio'>[] };
  let have = 0;
  let n = 0;
  const data = { id: 'evt_x', type: 'purchase', person: { email: 'ann@example.com', firstName: 'Ann' }, product: { name: 'Plan', price: 49 } };
  const batch = (kind: 'hash' | 'ordered'): Promise<boolean[]> => {
    const now = new Date();
    return Promise.all(Array.from({ length: DELIVERY_BATCH }, () => {
      // An event id as the gateway draws it (its time first); hash ids as every delivery had before.
      const eventId = newId('evt', now.getTime());
      const endpointId = `ep_${n++ % 200}`;
      const ids = deliveryIds(eventId, endpointId);
      const id = kind === 'hash' ? `dlv_${stableHash(eventId, endpointId)}` : ids.id;
      const request: DeliveryRequestDto = {
        id, webhookId: ids.webhookId, accountId: `acc_${n % 20}`, endpointId, eventId, eventType: 'purchase',
        eventTime: now.toISOString(), data, cause: 'subscription', createdAt: now.toISOString(),
      };
      return repo.recordFirstAttempt({
        deliveryId: id, endpointId, attempt: 1, outcome: 'succeeded', status: 'succeeded', httpStatus: 200, latencyMs: 4, error: null,
        responseHeaders: { 'content-type': 'application/json' }, responseBody: '{}', attemptedAt: now, nextAttemptAt: null,
      }, request, now);
    }));
  };
  const walBytes = (): Promise<number> => walPosition(ds);
  for (const size of DELIVERY_SIZES) {
    const t0 = performance.now();
    // Delivered rows as the hash ids of before left them: 20 accounts, 200 endpoints, created over
    // the days the largest size spans (~1 every 0.2 s), one attempt each, a small request.
    await ds.query(
      `INSERT INTO deliveries (id, webhook_id, account_id, endpoint_id, event_id, event_type, request, status, attempts, next_attempt_at, last_http_status, created_at, updated_at)
       SELECT 'dlv_' || substr(md5(g::text), 1, 26), 'msg_' || substr(md5(g::text), 1, 26), 'acc_' || (g % 20), 'ep_' || (g % 200), 'evt_' || lpad(g::text, 12, '0'),
              'purchase', '{"data":{}}'::jsonb, 'succeeded', 1, NULL, 200, now() - ($3::bigint - g) * interval '200 ms', now()
         FROM generate_series($1::bigint, $2::bigint) g`,
      [have + 1, size, top],
    );
    await ds.query(
      `INSERT INTO delivery_attempts (delivery_id, attempt, endpoint_id, outcome, http_status, latency_ms, attempted_at)
       SELECT 'dlv_' || substr(md5(g::text), 1, 26), 1, 'ep_' || (g % 200), 'succeeded', 200, 5, now() - ($3::bigint - g) * interval '200 ms'
         FROM generate_series($1::bigint, $2::bigint) g`,
      [have + 1, size, top],
    );
    await ds.query('ANALYZE deliveries');
    await ds.query('ANALYZE delivery_attempts');
    const fillS = (performance.now() - t0) / 1000;
    have = size;
    // Alternating, after one warm-up batch of each: the median statement time, and the WAL each kind wrote.
    const ms = { hash: [] as number[], ordered: [] as number[] };
    const wal = { hash: 0, ordered: 0 };
    await batch('hash');
    await batch('ordered');
    for (let i = 0; i < REPS * 2; i++) {
      const kind = (i % 4 === 0 || i % 4 === 3) ? 'hash' : 'ordered';
      const w0 = await walBytes();
      const s0 = performance.now();
      await batch(kind);
      ms[kind].push(performance.now() - s0);
      wal[kind] += (await walBytes()) - w0;
    }
    const bytes = await relationSize(ds, 'deliveries');
    const hashMs = round2(median(ms.hash));
    for (const kind of ['hash', 'ordered'] as const) {
      const m = round2(median(ms[kind]));
      const walPerRow = wal[kind] / (REPS * DELIVERY_BATCH);
      const beside = kind === 'hash' ? `deliveries table+indexes ${bytes}; filled in ${fillS.toFixed(0)} s` : `${round2(m / hashMs)}× the hash ids' time at this size`;
      pts[kind].push({ size, msPerOp: m, note: `${Math.round(walPerRow).toLocaleString('en-US')} WAL bytes per delivery (cluster-wide); ${beside}` });
      log(`deliveries ${size.toLocaleString('en-US')} rows, ${kind} ids: ${m} ms per ${DELIVERY_BATCH}, ${Math.round(walPerRow)} WAL B per delivery`);
    }
  }
  explains.push({
    what: `deliveries at ${have.toLocaleString('en-US')} rows: the primary-key probe ON CONFLICT (id) makes`,
    plan: await explain(ds, 'SELECT status FROM deliveries WHERE id = $1', [`dlv_${md5Hex(7).slice(0, 26)}`]),
  });
  const op = (ids: string) => `DeliveriesRepository.recordFirstAttempt, ${DELIVERY_BATCH} per statement, ${ids}`;
  return [
    { dimension: 'deliveries', operation: op('hash ids (before 2026-12-06)'), unit: `ms per ${DELIVERY_BATCH}`, points: withRatios(pts.hash) },
    { dimension: 'deliveries', operation: op("ids ordered by the event id's time (deliveryIds)"), unit: `ms per ${DELIVERY_BATCH}`, points: withRatios(pts.ordered) },
  ];
}

// ------------------------------------------------------------------------------------------------
// Retention: one run of the validator's dedupe purge and of delivery's retention (RetentionJob, their
// default chunk sizes) over N expired rows beside N live ones. Before 2026-12-06 a run was capped
// (dedupe: 20 × 10,000 keys per 5 min = 667 keys/s; deliveries: 200 × 5,000 per 10 min = 1,667/s).
// ------------------------------------------------------------------------------------------------
async function retention(ds: DataSource): Promise<Series[]> {
  const purge = new DedupePurgeService(new DedupeRepository(ds), new ValidatorConfig());
  const deliveryConfig = new DeliveryConfig();
  const deliveryRetention = new DeliveryRetentionService(new DeliveriesRepository(ds), deliveryConfig);
  const keyPts: Omit<Point, 'ratio'>[] = [];
  const deliveryPts: Omit<Point, 'ratio'>[] = [];
  let from = 0;
  for (const size of RETENTION_SIZES) {
    // Content keys as the validator makes them, half expired an hour ago, half live for 4 days.
    await ds.query(
      `INSERT INTO dedupe_keys (key_bytes, source_id, event_id, duplicate_count, first_seen_at, expires_at)
       SELECT ${dedupeKeyBytesSql(SQL_SOURCE, "'sha256:' || encode(sha256((g::text || $3)::bytea), 'hex')")}, ${SQL_SOURCE}, 'evt_' || g, 0, now() - interval '4 days',
              CASE WHEN g % 2 = 0 THEN now() - interval '1 hour' ELSE now() + interval '4 days' END
         FROM generate_series($1::bigint, $2::bigint) g`,
      [from + 1, from + 2 * size, tag],
    );
    // Delivered rows with one attempt each, half past DELIVERY_RETENTION_DAYS, half from today.
    await ds.query(
      `INSERT INTO deliveries (id, webhook_id, account_id, endpoint_id, event_id, event_type, request, status, attempts, next_attempt_at, last_http_status, created_at, updated_at)
       SELECT 'dlv_r' || g, 'msg_r' || g, 'acc_' || (g % 20), 'ep_' || (g % 200), 'evt_r' || g, 'purchase', '{"data":{}}'::jsonb, 'succeeded', 1, NULL, 200,
              CASE WHEN g % 2 = 0 THEN now() - make_interval(days => $3 + 1) ELSE now() END, now()
         FROM generate_series($1::bigint, $2::bigint) g`,
      [from + 1, from + 2 * size, deliveryConfig.DELIVERY_RETENTION_DAYS],
    );
    await ds.query(
      `INSERT INTO delivery_attempts (delivery_id, attempt, endpoint_id, outcome, http_status, latency_ms, attempted_at)
       SELECT 'dlv_r' || g, 1, 'ep_' || (g % 200), 'succeeded', 200, 5, now() FROM generate_series($1::bigint, $2::bigint) g`,
      [from + 1, from + 2 * size],
    );
    from += 2 * size;
    await ds.query('ANALYZE dedupe_keys');
    await ds.query('ANALYZE deliveries');
    await ds.query('ANALYZE delivery_attempts');

    let t0 = performance.now();
    const keys = await purge.purge();
    const keySeconds = (performance.now() - t0) / 1000;
    const keysPerSecond = Math.round((keys.deleted['dedupe_keys'] ?? 0) / keySeconds);
    keyPts.push({ size, msPerOp: keysPerSecond, note: `${keys.deleted['dedupe_keys']} keys in ${keys.chunks} statements, ${keySeconds.toFixed(1)} s; the cap of before: 667 keys/s` });
    log(`retention: ${size.toLocaleString('en-US')} expired dedupe keys deleted at ${keysPerSecond} keys/s`);

    t0 = performance.now();
    const dl = await deliveryRetention.purge();
    const dlSeconds = (performance.now() - t0) / 1000;
    const dlPerSecond = Math.round((dl.deleted['deliveries'] ?? 0) / dlSeconds);
    deliveryPts.push({ size, msPerOp: dlPerSecond, note: `${dl.deleted['deliveries']} deliveries and ${dl.deleted['delivery_attempts']} attempts in ${dl.chunks} statements, ${dlSeconds.toFixed(1)} s; the cap of before: 1,667 deliveries/s` });
    log(`retention: ${size.toLocaleString('en-US')} expired deliveries deleted at ${dlPerSecond} deliveries/s (with their attempts)`);
  }
  return [
    { dimension: 'retention', operation: 'DedupePurgeService.purge, one run over N expired keys beside N live ones (DEDUPE_PURGE_BATCH 10,000)', unit: 'keys deleted per second', points: withRatios(keyPts) },
    { dimension: 'retention', operation: 'DeliveryRetentionService.purge, one run over N expired deliveries (one attempt each) beside N recent ones (DELIVERY_RETENTION_BATCH 5,000)', unit: 'deliveries deleted per second', points: withRatios(deliveryPts) },
  ];
}

/** One of 40 sources, with an id as long as the gateway's (`src_` + 26 characters); SQL_SOURCE is the same for `g`. */
function benchSource(g: number): string {
  return `src_${String(g % 40).padStart(26, '0')}`;
}
const SQL_SOURCE = "'src_' || lpad((g % 40)::text, 26, '0')";

function sha256Hex(g: number): string {
  // Same as PostgreSQL's encode(sha256(g::text::bytea), 'hex').
  return createHash('sha256').update(String(g)).digest('hex');
}

function md5Hex(g: number): string {
  // Same as PostgreSQL's md5(g::text).
  return createHash('md5').update(String(g)).digest('hex');
}

// ------------------------------------------------------------------------------------------------
// Contacts: automation's ContactsRepository.load + save (compare-and-set) per batch
// ------------------------------------------------------------------------------------------------
async function contacts(ds: DataSource, explains: Explain[]): Promise<Series[]> {
  const repo = new ContactsRepository(ds);
  const account = (g: number) => `acc_${g % 100}`;
  const email = (g: number) => `person${g}@scale.example`;
  const loadPts: Omit<Point, 'ratio'>[] = [];
  const savePts: Omit<Point, 'ratio'>[] = [];
  let have = 0;
  for (const size of CONTACT_SIZES) {
    const t0 = performance.now();
    await ds.query(
      `INSERT INTO contacts (id, account_id, email_norm, first_name, last_name, tags, lists, fields, created_from_event_id, version)
       SELECT 'ct_' || g, 'acc_' || (g % 100), 'person' || g || '@scale.example', 'First' || g, 'Last', ARRAY['buyer'], ARRAY['1'], '{"plan":"pro"}', 'evt_' || g, 1
         FROM generate_series($1::bigint, $2::bigint) g`,
      [have + 1, size],
    );
    await ds.query('ANALYZE contacts');
    const fillS = (performance.now() - t0) / 1000;
    have = size;
    const keysOf = () => Array.from({ length: BATCH }, () => 1 + Math.floor(Math.random() * have)).filter((g, i, xs) => xs.indexOf(g) === i);
    const loadMs = await timed(REPS, () => repo.load(keysOf().map((g) => ({ accountId: account(g), emailNorm: email(g) }))));
    const saveMs = await timed(REPS, async () => {
      const loaded = await repo.load(keysOf().map((g) => ({ accountId: account(g), emailNorm: email(g) })));
      const writes: ContactWrite[] = [...loaded.contacts.entries()].map(([k, c]): ContactWrite => ({
        contact: { ...c, tags: [...c.tags, 'vip'] } satisfies Contact, expectedVersion: loaded.versions.get(k) ?? null,
      }));
      const lost = await repo.save(writes);
      if (lost.length) throw new Error(`${lost.length} compare-and-set losses with no concurrent writer`);
    });
    const bytes = await relationSize(ds, 'contacts');
    loadPts.push({ size, msPerOp: loadMs, note: `table+indexes ${bytes}; filled in ${fillS.toFixed(0)} s` });
    savePts.push({ size, msPerOp: saveMs, note: 'load + save of the same batch' });
    log(`contacts ${size.toLocaleString('en-US')}: load(${BATCH}) ${loadMs} ms, load+save ${saveMs} ms (${bytes})`);
  }
  explains.push({
    what: `contacts at ${have.toLocaleString('en-US')} rows: ContactsRepository.load for 3 keys (unique (account_id, email_norm))`,
    plan: await explain(ds, `SELECT c.* FROM contacts c JOIN unnest($1::text[], $2::text[]) AS k(account_id, email_norm)
         ON c.account_id = k.account_id AND c.email_norm = k.email_norm`, [[account(1), account(2), account(3)], [email(1), email(2), email(3)]]),
  });
  return [
    { dimension: 'contacts', operation: `ContactsRepository.load, batch of ${BATCH}`, unit: 'ms per batch', points: withRatios(loadPts) },
    { dimension: 'contacts', operation: `ContactsRepository.load + save (compare-and-set), batch of ${BATCH}`, unit: 'ms per batch', points: withRatios(savePts) },
  ];
}

// ------------------------------------------------------------------------------------------------
// Feed: libs/feed-store's FeedRepository.upsert and list with 1..30 daily partitions
// ------------------------------------------------------------------------------------------------
async function feed(ds: DataSource, explains: Explain[]): Promise<Series[]> {
  const repo = new FeedRepository(ds);
  const DAY = 86_400_000;
  const today = Date.parse(`${utcDay(new Date())}T00:00:00Z`);
  const ACCOUNTS = 20;
  const upsertPts: Omit<Point, 'ratio'>[] = [];
  const listPts: Omit<Point, 'ratio'>[] = [];
  const emailPts: Omit<Point, 'ratio'>[] = [];
  const storyPts: Omit<Point, 'ratio'>[] = [];
  let days = 0;
  let n = 0;
  const upsertDrawnPts: Omit<Point, 'ratio'>[] = [];
  const row = (accountId: string, receivedAt: Date, status: FeedRow['status'], mayRepeat = true): FeedRow & { emailHash: string | null } => ({
    id: `evt_scale_${tag}_${n++}`, accountId, sourceId: 'src_1', status, type: 'purchase', receivedAt: receivedAt.toISOString(), occurredAt: null,
    dialect: 'activly', email: null, emailHash: `h${n % 5000}`, summary: emptySummary(), raw: null, canonical: null, enrichment: null, reasons: null, duplicate: null,
    // true: ids from an Idempotency-Key, looked up in every daily partition; false: ids the gateway drew.
    mayRepeat,
  });
  for (const want of FEED_DAYS) {
    const t0 = performance.now();
    for (let d = days; d < want; d++) {
      const day = new Date(today - d * DAY);
      const from = utcDay(day);
      const to = utcDay(new Date(day.getTime() + DAY));
      await ds.query(`CREATE TABLE IF NOT EXISTS ${partitionName(from)} PARTITION OF feed_events FOR VALUES FROM ('${from} 00:00:00+00') TO ('${to} 00:00:00+00')`);
      await ds.query(
        `INSERT INTO feed_events (id, account_id, source_id, status, type, received_at, dialect, email_hash, summary, canonical)
         SELECT 'evt_fill_' || $1::text || '_' || g, 'acc_' || (g % ${ACCOUNTS}), 'src_1', 'accepted', 'purchase',
                $2::timestamptz + (g * interval '1 millisecond') * (86399000 / $3::int), 'activly', 'h' || (g % 5000), '{}', '{"id":"x","amount":49}'
           FROM generate_series(1, $3::int) g`,
        [`${d}`, day.toISOString(), FEED_ROWS_PER_DAY],
      );
    }
    await ds.query('ANALYZE feed_events');
    const fillS = (performance.now() - t0) / 1000;
    days = want;
    const note = `${days} partitions, ${(days * FEED_ROWS_PER_DAY).toLocaleString('en-US')} rows over ${ACCOUNTS} accounts; filled in ${fillS.toFixed(0)} s`;
    // The writer: a batch of raw events of now, then their verdicts (an update of the same rows).
    const upsertMs = await timed(REPS, async () => {
      const batch = Array.from({ length: BATCH }, (_, i) => row(`acc_${i % ACCOUNTS}`, new Date(), 'received'));
      await repo.upsert(batch);
      await repo.upsert(batch.map((r) => ({ ...r, status: 'accepted' as const })));
    });
    const upsertDrawnMs = await timed(REPS, async () => {
      const batch = Array.from({ length: BATCH }, (_, i) => row(`acc_${i % ACCOUNTS}`, new Date(), 'received', false));
      await repo.upsert(batch);
      await repo.upsert(batch.map((r) => ({ ...r, status: 'accepted' as const })));
    });
    const listMs = await timed(REPS, (i) => repo.list(`acc_${Math.max(0, i) % ACCOUNTS}`, {}, 50));
    const emailMs = await timed(REPS, (i) => repo.list(`acc_${Math.max(0, i) % ACCOUNTS}`, { emailHash: `h${(Math.max(0, i) * 7) % 5000}` }, 50));
    const storyMs = await timed(REPS, (i) => {
      const g = 1000 + Math.max(0, i);
      return repo.story(`acc_${g % ACCOUNTS}`, `evt_fill_${Math.max(0, i) % days}_${g}`);
    });
    upsertPts.push({ size: days, msPerOp: upsertMs, note });
    upsertDrawnPts.push({ size: days, msPerOp: upsertDrawnMs });
    listPts.push({ size: days, msPerOp: listMs });
    emailPts.push({ size: days, msPerOp: emailMs });
    storyPts.push({ size: days, msPerOp: storyMs });
    log(`feed ${days} partitions: upsert 2×${BATCH} ${upsertMs} ms (ids from an Idempotency-Key), ${upsertDrawnMs} ms (drawn ids), list ${listMs} ms, list by email ${emailMs} ms, story ${storyMs} ms`);
  }
  explains.push({
    what: `feed_events with ${days} partitions: the first-seen lookup FeedRepository.upsert does per row (no received_at, so every partition is probed)`,
    plan: await explain(ds, 'SELECT e.received_at FROM feed_events e WHERE e.account_id = $1 AND e.id = $2 LIMIT 1', ['acc_3', 'evt_new_none']),
  });
  explains.push({
    what: `feed_events with ${days} partitions: the first page of FeedRepository.list (no filter)`,
    plan: await explain(ds, `SELECT f.id FROM feed_events f WHERE f.account_id = $1 ORDER BY f.received_at DESC, f.id DESC LIMIT 50`, ['acc_3']),
  });
  return [
    { dimension: 'feed partitions', operation: `FeedRepository.upsert, ${BATCH} new events then their ${BATCH} verdicts, ids from an Idempotency-Key (looked up in every partition)`, unit: 'ms per 2 batches', points: withRatios(upsertPts) },
    { dimension: 'feed partitions', operation: `FeedRepository.upsert, ${BATCH} new events then their ${BATCH} verdicts, ids drawn by the gateway (no lookup)`, unit: 'ms per 2 batches', points: withRatios(upsertDrawnPts) },
    { dimension: 'feed partitions', operation: 'FeedRepository.list, first page of 50, no filter', unit: 'ms per page', points: withRatios(listPts) },
    { dimension: 'feed partitions', operation: 'FeedRepository.list, first page of 50, email filter', unit: 'ms per page', points: withRatios(emailPts) },
    { dimension: 'feed partitions', operation: 'FeedRepository.story (by id, no time)', unit: 'ms per event', points: withRatios(storyPts) },
  ];
}

// ------------------------------------------------------------------------------------------------
// Endpoints in memory: the SubscriptionIndex automation keeps (memory, build time, match time)
// ------------------------------------------------------------------------------------------------
function endpointsInMemory(): Series[] {
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const COMMON = ['purchase', 'signup', 'review', 'contact.subscribed', 'deal.added'];
  const now = new Date().toISOString();
  const snapshot = (i: number): EndpointSnapshot => {
    const r = rnd();
    const eventTypes = r < 0.002 ? ['*'] : r < 0.012 ? ['contact.*'] : r < 0.05 ? [COMMON[i % COMMON.length]] : [`app.event_${i % 2000}`];
    return {
      kind: 'endpoint', id: `ep_${i}`, accountId: `acc_${i % 200}`, url: `https://hooks.scale.example/${i}`, enabled: true, eventTypes,
      initiatedFrom: null, listId: null, filter: r < 0.3 ? { path: 'amount', op: 'gte', value: 50 } : null, format: 'json', secrets: [],
      rateLimitPerSecond: null, maxConcurrency: 4, version: 1, updatedAt: now,
    };
  };
  const event = (type: string, accountId: string): CanonicalEvent => ({
    id: 'evt_1', accountId, sourceId: 'src_1', type, occurredAt: now, receivedAt: now, initiatedFrom: 'api',
    person: { email: 'sarah@example.com', firstName: 'Sarah', lastName: null, ip: null, nameSource: 'payload' }, location: emptyLocation(),
    product: null, products: [], amount: 60, currency: 'GBP', attributes: {}, dialect: 'activly', dedupeKey: 'content:x',
  } as CanonicalEvent);
  const memPts: Omit<Point, 'ratio'>[] = [];
  const buildPts: Omit<Point, 'ratio'>[] = [];
  const matchPts: Omit<Point, 'ratio'>[] = [];
  // Heap figures need a full collection before each reading.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  for (const size of ENDPOINT_SIZES) {
    const snaps = Array.from({ length: size }, (_, i) => snapshot(i));
    gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const index = new SubscriptionIndex();
    for (const s of snaps) index.upsert(s);
    const buildMs = performance.now() - t0;
    gc?.();
    const heapMiB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
    const events = Array.from({ length: 1000 }, (_, i) => event(i % 2 ? COMMON[i % COMMON.length] : `app.event_${i % 2000}`, `acc_${i % 200}`));
    let matched = 0;
    for (const e of events) matched += index.match(e).length; // warm
    const reps = 20;
    const t1 = performance.now();
    for (let r = 0; r < reps; r++) for (const e of events) matched += index.match(e).length;
    const usPerEvent = ((performance.now() - t1) * 1000) / (reps * events.length);
    memPts.push({ size, msPerOp: round2(heapMiB), note: gc ? 'heap after gc' : 'heap (no --expose-gc: rough)' });
    buildPts.push({ size, msPerOp: round2(buildMs) });
    matchPts.push({ size, msPerOp: round2(usPerEvent), note: `${round2(matched / ((reps + 1) * events.length))} endpoints matched per event` });
    log(`endpoints ${size.toLocaleString('en-US')}: ${round2(heapMiB)} MiB, build ${round2(buildMs)} ms, match ${round2(usPerEvent)} µs/event`);
    snaps.length = 0;
  }
  return [
    { dimension: 'endpoints (automation SubscriptionIndex)', operation: 'memory of the index and its snapshots', unit: 'MiB', points: withRatios(memPts) },
    { dimension: 'endpoints (automation SubscriptionIndex)', operation: 'build from snapshots (what a catch-up does in memory)', unit: 'ms', points: withRatios(buildPts) },
    { dimension: 'endpoints (automation SubscriptionIndex)', operation: 'match one event (half common types, half custom)', unit: 'µs per event', points: withRatios(matchPts) },
  ];
}

async function main(): Promise<void> {
  const loadBefore = roundedLoad();
  const dbName = `hookstream_bench_scale_${tag}`;
  const admin = new Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = DATABASE_URL.replace(/\/[^/?]+(\?|$)/, `/${dbName}$1`);
  const ds = createDataSource({ url, poolSize: 4, applicationName: 'bench-scale' });
  const explains: Explain[] = [];
  const series: Series[] = [];
  try {
    await ds.initialize();
    await migrateWithLock(ds);
    if (DIMENSIONS.has('endpoints')) series.push(...endpointsInMemory());
    if (DIMENSIONS.has('feed')) series.push(...(await feed(ds, explains)));
    if (DIMENSIONS.has('contacts')) series.push(...(await contacts(ds, explains)));
    if (DIMENSIONS.has('dedupe')) series.push(...(await dedupe(ds, explains)));
    if (DIMENSIONS.has('deliveries')) series.push(...(await deliveries(ds, explains)));
    if (DIMENSIONS.has('retention')) series.push(...(await retention(ds)));
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.end();
  }
  const result = {
    bench: 'scale',
    description: 'Per-operation cost of the project\'s own repositories and index at growing data sizes, in a database of its own on the shared PostgreSQL; ratio = cost at N / cost at the smallest size in the same run (median of ' + REPS + ' timed operations after one warm-up)',
    series, explains, loadAverage: { before: loadBefore, after: roundedLoad() }, machine: machineInfo(),
  };
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const name = process.env['BENCH_RESULT_NAME'] ?? 'scale';
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const m = result.machine;
  const md: string[] = ['# scale bench', '', `${result.description}.`, ''];
  for (const s of series) {
    md.push(`## ${s.dimension}: ${s.operation}`, '', `| size | ${s.unit} | ratio | |`, '|---:|---:|---:|---|');
    for (const p of s.points) md.push(`| ${p.size.toLocaleString('en-US')} | ${p.msPerOp} | ${p.ratio}× | ${p.note ?? ''} |`);
    md.push('');
  }
  md.push('## Plans', '');
  for (const e of explains) md.push(`${e.what}:`, '', '```', e.plan, '```', '');
  md.push(`Load average (1/5/15 min): before ${loadBefore.join(' / ')}, after ${result.loadAverage.after.join(' / ')}.`, '');
  md.push(`Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, kernel ${m.kernel}, ${m.date}.`, '');
  writeFileSync(join(dir, `${name}.md`), md.join('\n'));
  log(`results in bench/results/${name}.json and .md`);
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
