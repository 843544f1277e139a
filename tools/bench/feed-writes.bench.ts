// What an event costs PostgreSQL in the feed (issue 13): its raw row and its verdict written by
// libs/feed-store's FeedRepository.upsert as two statements (an insert, then a non-HOT update of
// every index: the verdict brings email_hash) against one statement of the merged row (`mergeRows`,
// what FeedWriterService does when both are in one fetch); and, for comparison, the update made
// HOT-eligible (partition fillfactor 50, email_hash already on the raw row); and the payload
// columns' compression, lz4 (the migrations' choice) against PostgreSQL's default pglz, which only
// matters for rows over ~2 kB (BENCH_FEED_PAYLOAD_BYTES). Realistic rows (the pipeline bench's
// event), in a database of its own (dropped at the end), cluster-wide WAL bytes
// from pg_current_wal_lsn: run it on a private server (bench/README.md) so nothing else writes.
// Run: npm run bench -- feed-writes
// Env: DATABASE_URL, BENCH_FEED_EVENTS (6000 per variant), BENCH_FEED_BATCH (300 rows per statement),
//      BENCH_REPS (3 rounds; the median per variant is reported), BENCH_FEED_PAYLOAD_BYTES (0: the
//      pipeline bench's ~200-byte body; N: line items added to the body, and as products to the
//      canonical event, until the body's JSON is at least N bytes).
import { createDataSource, LZ4_COLUMNS, migrateWithLock, type DataSource } from '@hookstream/db';
import type { CanonicalEvent, RawEventDto } from '@hookstream/contracts';
import { EmailHasher, FeedRepository, mergeRows, partitionName, rowFromEnriched, rowFromRaw, utcDay, type FeedRow } from '@hookstream/feed-store';
import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { machineInfo, roundedLoad, round2 } from './support/machine';
import { lineItems } from './support/payloads';

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://hookstream:hookstream@127.0.0.1:5432/hookstream';
const EVENTS = Number(process.env['BENCH_FEED_EVENTS'] ?? 6000);
const BATCH = Number(process.env['BENCH_FEED_BATCH'] ?? 300);
const REPS = Number(process.env['BENCH_REPS'] ?? 3);
const PAYLOAD_BYTES = Number(process.env['BENCH_FEED_PAYLOAD_BYTES'] ?? 0);
const ROOT = join(__dirname, '..', '..');
const tag = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const log = (msg: string): void => console.log(`[feed-writes.bench] ${msg}`);
const hasher = new EmailHasher(randomBytes(32).toString('base64'));

type Row = FeedRow & { emailHash: string | null };
const VARIANTS = ['two statements', 'one merged row', 'two statements, HOT-eligible update', 'two statements, pglz', 'one merged row, pglz'] as const;
type Variant = (typeof VARIANTS)[number];


/** The pipeline bench's event as the gateway and the enricher make it. */
function event(day: string, i: number): { raw: RawEventDto; canonical: CanonicalEvent } {
  const receivedAt = new Date(Date.parse(`${day}T06:00:00Z`) + i).toISOString();
  const email = `bench-${i}@example.com`;
  const id = `evt_${(1_000_000_000 + i).toString(36).padStart(9, '0')}${tag.padEnd(12, '0').slice(0, 12)}`;
  const raw: RawEventDto = {
    id, accountId: 'acc_1', sourceId: 'src_1', receivedAt, contentType: 'application/json', headers: { 'content-type': 'application/json', 'user-agent': 'undici' },
    body: { event: 'purchase', first_name: 'Bench', email, city: 'London', country: 'UK', product: 'Running Shoes', amount: 49, currency: 'GBP', timestamp: receivedAt.replace(/\.\d+Z$/, 'Z') },
    clientIp: '127.0.0.1', idempotencyKey: null, dialect: 'auto', initiatedFrom: 'api',
  };
  const items = PAYLOAD_BYTES > 0 ? lineItems(i, PAYLOAD_BYTES - JSON.stringify(raw.body).length) : [];
  if (items.length > 0) (raw.body as Record<string, unknown>)['line_items'] = items;
  const canonical = {
    id, accountId: 'acc_1', sourceId: 'src_1', type: 'purchase', occurredAt: receivedAt, receivedAt, initiatedFrom: 'api',
    person: { email, firstName: 'Bench', lastName: null, ip: null, nameSource: 'payload' },
    location: { city: 'London', state: null, stateCode: null, country: 'United Kingdom', countryCode: 'GB', source: 'payload' },
    product: { id: null, name: 'Running Shoes', link: null, image: null, price: 49, quantity: 1 },
    products: items.map((it) => ({ id: it.sku, name: it.title, link: null, image: null, price: it.price, quantity: it.quantity })), amount: 49, currency: 'GBP', attributes: {},
    dialect: 'activly', enrichment: { applied: ['location.country', 'location.countryCode'], warnings: [] },
  } as unknown as CanonicalEvent;
  return { raw, canonical };
}

const hashed = (r: FeedRow, emailHash: string | null = r.email ? hasher.hash(r.email) : null): Row => ({ ...r, emailHash });

async function walLsn(ds: DataSource): Promise<string> {
  return ((await ds.query('SELECT pg_current_wal_lsn() AS l')) as { l: string }[])[0].l;
}

async function run(ds: DataSource, repo: FeedRepository, variant: Variant, day: string): Promise<{ msPerEvent: number; walBytesPerEvent: number; hotUpdates: number; updates: number }> {
  const part = partitionName(day);
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const ff = variant === 'two statements, HOT-eligible update' ? ' WITH (fillfactor = 50)' : '';
  await ds.query(`CREATE TABLE ${part} PARTITION OF feed_events FOR VALUES FROM ('${day} 00:00:00+00') TO ('${next} 00:00:00+00')${ff}`);
  if (variant.endsWith('pglz')) for (const col of LZ4_COLUMNS['feed_events']) await ds.query(`ALTER TABLE ${part} ALTER COLUMN ${col} SET COMPRESSION pglz`);
  const events = Array.from({ length: EVENTS }, (_, i) => event(day, i));
  await ds.query('CHECKPOINT').catch(() => undefined); // needs superuser; without it full-page images land where they fall
  const w0 = await walLsn(ds);
  const t0 = performance.now();
  for (let off = 0; off < EVENTS; off += BATCH) {
    const slice = events.slice(off, off + BATCH);
    const raws = slice.map((e) => rowFromRaw(e.raw));
    const verdicts = slice.map((e) => rowFromEnriched(e.canonical));
    if (variant.startsWith('one merged row')) await repo.upsert(raws.map((r, k) => hashed(mergeRows(r, verdicts[k]))));
    else {
      await repo.upsert(raws.map((r, k) => (variant === 'two statements, HOT-eligible update' ? hashed(r, hasher.hash(verdicts[k].email as string)) : hashed(r))));
      await repo.upsert(verdicts.map((r) => hashed(r)));
    }
  }
  const ms = performance.now() - t0;
  const wal = Number(((await ds.query('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS d', [w0])) as { d: string }[])[0].d);
  await ds.query('SELECT pg_stat_force_next_flush()').catch(() => undefined); // PostgreSQL 15+; else the HOT count may lag
  const st = ((await ds.query('SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = $1', [part])) as { n_tup_upd: string; n_tup_hot_upd: string }[])[0];
  await ds.query(`DROP TABLE ${part}`);
  return { msPerEvent: ms / EVENTS, walBytesPerEvent: wal / EVENTS, hotUpdates: Number(st?.n_tup_hot_upd ?? 0), updates: Number(st?.n_tup_upd ?? 0) };
}

async function main(): Promise<void> {
  const loadBefore = roundedLoad();
  const dbName = `hookstream_bench_feed_${tag}`;
  const admin = new Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const ds = createDataSource({ url: DATABASE_URL.replace(/\/[^/?]+(\?|$)/, `/${dbName}$1`), poolSize: 2, applicationName: 'bench-feed-writes' });
  const variants: readonly Variant[] = VARIANTS;
  const runs = Object.fromEntries(VARIANTS.map((v) => [v, []])) as unknown as Record<Variant, { msPerEvent: number; walBytesPerEvent: number; hotUpdates: number; updates: number }[]>;
  try {
    await ds.initialize();
    await migrateWithLock(ds);
    const repo = new FeedRepository(ds);
    let d = 0;
    for (let rep = 0; rep < REPS; rep++) {
      for (const v of variants) {
        // A day of its own, far from the migration's partitions (today -1 .. +3).
        const day = utcDay(new Date(Date.now() + (30 + d++) * 86_400_000));
        const r = await run(ds, repo, v, day);
        runs[v].push(r);
        log(`${v}: ${r.msPerEvent.toFixed(4)} ms, ${Math.round(r.walBytesPerEvent)} WAL bytes per event; ${r.hotUpdates}/${r.updates} updates HOT`);
      }
    }
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.end();
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = variants.map((v) => ({
    variant: v,
    msPerEvent: Number(median(runs[v].map((r) => r.msPerEvent)).toFixed(3)),
    walBytesPerEvent: Math.round(median(runs[v].map((r) => r.walBytesPerEvent))),
    hotShare: round2(median(runs[v].map((r) => (r.updates ? r.hotUpdates / r.updates : 0))) * 100),
  }));
  const bodyBytes = JSON.stringify(event(utcDay(new Date()), 1).raw.body).length;
  const result = { bench: 'feed-writes', events: EVENTS, batch: BATCH, reps: REPS, payloadBytes: PAYLOAD_BYTES, bodyBytes, summary, runs, loadAverage: { before: loadBefore, after: roundedLoad() }, machine: machineInfo() };
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const name = PAYLOAD_BYTES > 0 ? `feed-writes-${PAYLOAD_BYTES}` : 'feed-writes';
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const m = result.machine;
  const md = [
    '# feed-writes bench', '',
    `An event's raw row and verdict in \`feed_events\` (FeedRepository.upsert, ${BATCH} rows per statement, ${EVENTS} events per variant, median of ${REPS} rounds; WAL cluster-wide). Request body ${bodyBytes} bytes of JSON; the payload columns lz4-compressed (the migrations) unless the variant says pglz.`, '',
    '| variant | ms per event | WAL bytes per event | updates HOT |', '|---|---:|---:|---:|',
    ...summary.map((s) => `| ${s.variant} | ${s.msPerEvent} | ${s.walBytesPerEvent} | ${s.hotShare} % |`), '',
    `Load average (1/5/15 min): before ${loadBefore.join(' / ')}, after ${result.loadAverage.after.join(' / ')}.`, '',
    `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, kernel ${m.kernel}, ${m.date}.`, '',
  ];
  writeFileSync(join(dir, `${name}.md`), md.join('\n'));
  log(`results in bench/results/${name}.json and .md`);
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
