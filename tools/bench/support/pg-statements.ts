import { Client } from 'pg';
import { round2 } from './machine';

/**
 * PostgreSQL work of one database over a run: statements from pg_stat_statements (when the server
 * preloads it and the database has the extension) and transactions/rows from pg_stat_database,
 * as the difference of two snapshots (no reset, so no superuser needed).
 */

interface StatementRow { query: string; calls: number; rows: number; totalMs: number; walBytes: number; blksHit: number; blksRead: number }
interface DatabaseRow { commits: number; rollbacks: number; inserted: number; updated: number; deleted: number; fetched: number; returned: number }
interface TableRow { inserted: number; updated: number; hotUpdated: number; deleted: number }

export interface PgSnapshot {
  /** null: pg_stat_statements is not available, with why. */
  statements: Map<string, StatementRow> | null;
  unavailable?: string;
  database: DatabaseRow;
  /** pg_stat_user_tables by table, a partition counted under its root (feed_events_2026_12_07 → feed_events). */
  tables: Map<string, TableRow>;
  /** Cluster-wide WAL bytes (pg_stat_wal), null before PostgreSQL 14. */
  walBytes: number | null;
}

export interface PgStatementFigures {
  statement: string;
  callsPerEvent: number;
  rowsPerEvent: number;
  meanMs: number;
  execMsPerEvent: number;
  sharePercent: number;
  walBytesPerEvent: number;
}

export interface PgFigures {
  /** Statements ranked by execution time; null with `unavailable` when pg_stat_statements is missing. */
  statements: PgStatementFigures[] | null;
  unavailable?: string;
  statementsPerEvent: number | null;
  execMsPerEvent: number | null;
  commitsPerEvent: number;
  rollbacksPerEvent: number;
  rowsWrittenPerEvent: { inserted: number; updated: number; deleted: number };
  /** The same by table (partitions under their root), tables that wrote nothing left out, most rows first. */
  tables: Array<{ table: string; insertedPerEvent: number; updatedPerEvent: number; hotUpdatedPerEvent: number; deletedPerEvent: number }>;
  walBytesPerEvent: number | null;
}

/** Our own snapshot queries are left out of the ranking. */
const OWN = /pg_stat_statements|pg_stat_database|pg_stat_wal/;

export async function pgSnapshot(url: string): Promise<PgSnapshot> {
  return withPgClient(url, 'bench-pg-statements', async (client) => {
    const db = (await client.query<{ [k: string]: string }>(
      `SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_fetched, tup_returned
         FROM pg_stat_database WHERE datname = current_database()`,
    )).rows[0] ?? {};
    const database: DatabaseRow = {
      commits: Number(db['xact_commit'] ?? 0), rollbacks: Number(db['xact_rollback'] ?? 0),
      inserted: Number(db['tup_inserted'] ?? 0), updated: Number(db['tup_updated'] ?? 0), deleted: Number(db['tup_deleted'] ?? 0),
      fetched: Number(db['tup_fetched'] ?? 0), returned: Number(db['tup_returned'] ?? 0),
    };
    const tables = new Map<string, TableRow>();
    const byTable = await client.query<{ tbl: string; ins: string; upd: string; hot: string; del: string }>(
      `WITH RECURSIVE root(relid, top) AS (
         SELECT c.oid, c.oid FROM pg_class c WHERE NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
         UNION ALL
         SELECT i.inhrelid, r.top FROM pg_inherits i JOIN root r ON i.inhparent = r.relid)
       SELECT t.relname AS tbl, sum(s.n_tup_ins) AS ins, sum(s.n_tup_upd) AS upd, sum(s.n_tup_hot_upd) AS hot, sum(s.n_tup_del) AS del
         FROM pg_stat_user_tables s JOIN root r ON r.relid = s.relid JOIN pg_class t ON t.oid = r.top
        GROUP BY t.relname`,
    );
    for (const r of byTable.rows) tables.set(r.tbl, { inserted: Number(r.ins), updated: Number(r.upd), hotUpdated: Number(r.hot), deleted: Number(r.del) });
    let walBytes: number | null = null;
    try {
      walBytes = Number((await client.query<{ wal_bytes: string }>('SELECT wal_bytes FROM pg_stat_wal')).rows[0]?.wal_bytes ?? 0);
    } catch {
      walBytes = null;
    }
    try {
      const { rows } = await client.query<{ queryid: string; query: string | null; calls: string; rows: string; total_exec_time: number; wal_bytes: string; shared_blks_hit: string; shared_blks_read: string }>(
        `SELECT queryid::text, min(query) AS query, sum(calls) AS calls, sum(rows) AS rows, sum(total_exec_time) AS total_exec_time,
                sum(wal_bytes) AS wal_bytes, sum(shared_blks_hit) AS shared_blks_hit, sum(shared_blks_read) AS shared_blks_read
           FROM pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          GROUP BY queryid`,
      );
      const statements = new Map<string, StatementRow>();
      for (const r of rows) {
        const query = (r.query ?? '<no permission to read the text>').replace(/\s+/g, ' ').trim();
        if (OWN.test(query)) continue;
        statements.set(r.queryid, { query, calls: Number(r.calls), rows: Number(r.rows), totalMs: Number(r.total_exec_time), walBytes: Number(r.wal_bytes), blksHit: Number(r.shared_blks_hit), blksRead: Number(r.shared_blks_read) });
      }
      return { statements, database, tables, walBytes };
    } catch (err) {
      return {
        statements: null,
        unavailable: `pg_stat_statements is not available in this database (${(err as Error).message}). Start the bench's PostgreSQL with it: tools/infra/pg-instance.sh with PG_INSTANCE_STATEMENTS=1 (bench/README.md).`,
        database,
        tables,
        walBytes,
      };
    }
  });
}

/**
 * Sessions (backends) ever started in this database (pg_stat_database.sessions, PostgreSQL 14+;
 * null before): the difference over a run, less the one this read opens, is how many connections
 * the apps opened meanwhile — a pool growing back after its idle connections were closed.
 */
export async function pgSessions(url: string): Promise<number | null> {
  return withPgClient(url, 'bench-pg-sessions', async (client) => {
    try {
      const r = await client.query<{ sessions: string }>('SELECT sessions FROM pg_stat_database WHERE datname = current_database()');
      return r.rows[0] ? Number(r.rows[0].sessions) : null;
    } catch {
      return null;
    }
  });
}

/** `fn` on a connection of its own, closed afterwards whatever happens. */
export async function withPgClient<T>(url: string, applicationName: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, application_name: applicationName });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The work between two snapshots, per event; statements ranked by execution time, `top` kept. */
export function pgFigures(before: PgSnapshot, after: PgSnapshot, events: number, top = 15): PgFigures {
  const per = (n: number) => round2(n / Math.max(1, events));
  const d = (k: keyof DatabaseRow) => after.database[k] - before.database[k];
  const base = {
    commitsPerEvent: per(d('commits')),
    rollbacksPerEvent: per(d('rollbacks')),
    rowsWrittenPerEvent: { inserted: per(d('inserted')), updated: per(d('updated')), deleted: per(d('deleted')) },
    tables: tableFigures(before.tables, after.tables, events),
    walBytesPerEvent: after.walBytes !== null && before.walBytes !== null ? Math.round((after.walBytes - before.walBytes) / Math.max(1, events)) : null,
  };
  if (!after.statements || !before.statements) {
    return { ...base, statements: null, unavailable: after.unavailable ?? before.unavailable, statementsPerEvent: null, execMsPerEvent: null };
  }
  const diffs: StatementRow[] = [];
  for (const [id, a] of after.statements) {
    const b = before.statements.get(id);
    const calls = a.calls - (b?.calls ?? 0);
    if (calls <= 0) continue;
    diffs.push({ query: a.query, calls, rows: a.rows - (b?.rows ?? 0), totalMs: a.totalMs - (b?.totalMs ?? 0), walBytes: a.walBytes - (b?.walBytes ?? 0), blksHit: 0, blksRead: 0 });
  }
  const totalMs = diffs.reduce((s, r) => s + r.totalMs, 0);
  const calls = diffs.reduce((s, r) => s + r.calls, 0);
  diffs.sort((x, y) => y.totalMs - x.totalMs);
  return {
    ...base,
    statementsPerEvent: per(calls),
    execMsPerEvent: round3(totalMs / Math.max(1, events)),
    statements: diffs.slice(0, top).map((r) => ({
      statement: r.query.length > 160 ? `${r.query.slice(0, 157)}…` : r.query,
      callsPerEvent: round3(r.calls / Math.max(1, events)),
      rowsPerEvent: round3(r.rows / Math.max(1, events)),
      meanMs: round3(r.totalMs / r.calls),
      execMsPerEvent: round3(r.totalMs / Math.max(1, events)),
      sharePercent: round2(totalMs > 0 ? (r.totalMs / totalMs) * 100 : 0),
      walBytesPerEvent: Math.round(r.walBytes / Math.max(1, events)),
    })),
  };
}

function tableFigures(before: Map<string, TableRow>, after: Map<string, TableRow>, events: number): PgFigures['tables'] {
  const per = (n: number) => round2(n / Math.max(1, events));
  const out: PgFigures['tables'] = [];
  for (const [table, a] of after) {
    const b = before.get(table) ?? { inserted: 0, updated: 0, hotUpdated: 0, deleted: 0 };
    const ins = a.inserted - b.inserted, upd = a.updated - b.updated, hot = a.hotUpdated - b.hotUpdated, del = a.deleted - b.deleted;
    if (ins + upd + del <= 0) continue;
    out.push({ table, insertedPerEvent: per(ins), updatedPerEvent: per(upd), hotUpdatedPerEvent: per(hot), deletedPerEvent: per(del) });
  }
  return out.sort((x, y) => y.insertedPerEvent + y.updatedPerEvent + y.deletedPerEvent - (x.insertedPerEvent + x.updatedPerEvent + x.deletedPerEvent));
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Markdown lines for one run's figures. */
export function pgMarkdown(f: PgFigures): string[] {
  const lines = [
    `PostgreSQL per event: **${f.commitsPerEvent} commits** (${f.rollbacksPerEvent} rollbacks), rows written ${f.rowsWrittenPerEvent.inserted} inserted / ${f.rowsWrittenPerEvent.updated} updated / ${f.rowsWrittenPerEvent.deleted} deleted, WAL ${f.walBytesPerEvent ?? '–'} bytes (cluster-wide).`,
    '',
  ];
  if (f.tables.length) {
    lines.push('| table (partitions under their root) | inserted / event | updated / event (HOT) | deleted / event |', '|---|---|---|---|');
    for (const t of f.tables) lines.push(`| ${t.table} | ${t.insertedPerEvent} | ${t.updatedPerEvent} (${t.hotUpdatedPerEvent}) | ${t.deletedPerEvent} |`);
    lines.push('');
  }
  if (!f.statements) {
    lines.push(`Statement ranking: **not available** — ${f.unavailable ?? 'pg_stat_statements missing'}`, '');
    return lines;
  }
  lines.push(`Statements (pg_stat_statements): **${f.statementsPerEvent} per event**, ${f.execMsPerEvent} ms execution per event.`, '');
  lines.push('| statement | calls / event | rows / event | mean ms | exec ms / event | share | WAL B / event |', '|---|---|---|---|---|---|---|');
  for (const s of f.statements) lines.push(`| \`${s.statement.replace(/\|/g, '\\|').replace(/`/g, "'")}\` | ${s.callsPerEvent} | ${s.rowsPerEvent} | ${s.meanMs} | ${s.execMsPerEvent} | ${s.sharePercent} % | ${s.walBytesPerEvent} |`);
  lines.push('');
  return lines;
}
