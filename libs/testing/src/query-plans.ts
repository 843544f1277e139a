import { randomBytes } from 'node:crypto';

/** What `planOnFreshCopy` needs of a TypeORM DataSource: one connection at a time. */
interface QueryRunnerSource {
  createQueryRunner(): { connect(): Promise<unknown>; query(sql: string, params?: unknown[]): Promise<unknown>; release(): Promise<void> };
}

export interface FreshCopyPlan {
  /** The plan's nodes, outermost first, as EXPLAIN names them: `Seq Scan on contacts`, `Index Scan using contacts_pkey on contacts`, … */
  nodes: string[];
}

/**
 * EXPLAINs `sql` (with `params`) against a copy of `table` — same columns, indexes and
 * constraints, in a schema of its own — filled by `fill` and never analyzed: the state a table
 * is in when it has grown faster than autovacuum analyzes it (a new install's first burst). For
 * specs that assert a statement keeps using its index whatever the statistics say.
 */
export async function planOnFreshCopy(ds: QueryRunnerSource, opts: { table: string; fill: string; sql: string; params: unknown[] }): Promise<FreshCopyPlan> {
  const schema = `plan_${randomBytes(6).toString('hex')}`;
  const qr = ds.createQueryRunner();
  await qr.connect();
  try {
    await qr.query(`CREATE SCHEMA ${schema}`);
    await qr.query(`CREATE TABLE ${schema}.${opts.table} (LIKE public.${opts.table} INCLUDING ALL)`);
    // The statement names the table unqualified: the copy is found first.
    await qr.query(`SET search_path TO ${schema}, public`);
    await qr.query(opts.fill);
    const [{ 'QUERY PLAN': plan }] = (await qr.query(`EXPLAIN (FORMAT JSON) ${opts.sql}`, opts.params)) as { 'QUERY PLAN': { Plan: PlanNode }[] }[];
    const nodes: string[] = [];
    const walk = (n: PlanNode) => {
      nodes.push([n['Node Type'], n['Index Name'] ? `using ${n['Index Name']}` : '', n['Relation Name'] ? `on ${n['Relation Name']}` : ''].filter(Boolean).join(' '));
      for (const c of n.Plans ?? []) walk(c);
    };
    walk(plan[0].Plan);
    return { nodes };
  } finally {
    await qr.query('RESET search_path').catch(() => undefined);
    await qr.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await qr.release();
  }
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
