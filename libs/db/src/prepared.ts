import { createHash } from 'node:crypto';
import { Client, type ClientConfig } from 'pg';

/**
 * Named (prepared) statements for the pipeline's hot SQL.
 *
 * node-postgres sends a parameterized query as an unnamed statement, which PostgreSQL parses and
 * plans again on every call: at partial load, where each consumed batch is a few rows, planning
 * was a fifth of PostgreSQL's CPU (bench/README.md, session 31). A statement whose text is
 * registered here with `preparedStatement` is sent, on a connection of a data source created with
 * `preparedStatements: true`, as a named statement instead: parsed once per connection, then only
 * bound and executed (session 32: 25–40 % less PostgreSQL CPU per small batch statement).
 *
 * Only fixed texts belong here (the name is a hash of the text, and every connection keeps each
 * named statement it ran until it closes). Behind PgBouncer in transaction mode before 1.21, or
 * with its `max_prepared_statements` at 0, a named statement may reach a server connection that
 * never saw it: run those deployments with `DB_PREPARED_STATEMENTS=false`.
 */
const names = new Map<string, string>();

/** Registers `sql` as a statement to prepare once per connection; returns it unchanged. */
export function preparedStatement(sql: string): string {
  if (!names.has(sql)) names.set(sql, `hs_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`);
  return sql;
}

/** The statement name of a registered text, if it is one. */
export function preparedStatementName(sql: string): string | undefined {
  return names.get(sql);
}

type QueryFn = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/** SQLSTATE invalid_sql_statement_name: the server session does not hold the named statement. */
const NO_SUCH_STATEMENT = '26000';

export const MISSING_STATEMENT_ADVICE =
  'the PostgreSQL session no longer holds this named statement (a pooler such as PgBouncer in transaction mode before 1.21, ' +
  'or with max_prepared_statements = 0, sends statements of one client to several server connections): upgrade or configure ' +
  'the pooler, or set DB_PREPARED_STATEMENTS=false; the statement is prepared again on its next run';

/**
 * The pool's client class when prepared statements are on: a registered text queried as a string
 * (as TypeORM's query runner does) goes out as a named statement; everything else as before.
 * TypeORM still logs the text and wraps errors as usual: only the wire protocol differs.
 */
export class PreparingClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    const query = (Client.prototype.query as QueryFn).bind(this);
    const named: QueryFn = (config, values, callback) => {
      const name = typeof config === 'string' && typeof values !== 'function' && typeof callback !== 'function' ? names.get(config) : undefined;
      if (name === undefined) return query(config, values, callback);
      return (query({ name, text: config, values }) as Promise<unknown>).catch((err: unknown) => {
        const e = err as { code?: unknown; message?: unknown };
        if (e?.code === NO_SUCH_STATEMENT) {
          // pg keeps it as parsed for this connection: forget it, so the next run parses it again.
          const connection = (this as unknown as { connection: { parsedStatements: Record<string, string> } }).connection;
          delete connection.parsedStatements[name];
          e.message = `${String(e.message)}: ${MISSING_STATEMENT_ADVICE}`;
        }
        throw err;
      });
    };
    (this as unknown as { query: QueryFn }).query = named;
  }
}
