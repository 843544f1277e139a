// The testing lib builds on this lib; only this test crosses that line, the lib's sources never do
// (as in libs/kafka/test).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { createDatabase, dropDatabase, testDatabaseUrl } from '@hookstream/testing';
import { randomBytes } from 'node:crypto';
import { QueryFailedError } from 'typeorm';
import { createDataSource, preparedStatement, preparedStatementName, type DataSource } from '../src';
import { MISSING_STATEMENT_ADVICE } from '../src/prepared';

const tag = randomBytes(4).toString('hex');
// Texts unique to this run, so no other spec's registration interferes.
const ADD_ONE = preparedStatement(`SELECT $1::int + 1 AS n /* prepared-spec ${tag} */`);
const NOT_REGISTERED = `SELECT $1::int + 2 AS n /* prepared-spec ${tag} */`;
const INSERT_ITEM = preparedStatement(`INSERT INTO prepared_spec_items (id) VALUES ($1) RETURNING id /* ${tag} */`);

/** The named statements of the pool's one connection (protocol-level ones included). */
async function preparedOn(ds: DataSource): Promise<Map<string, string>> {
  const rows: { name: string; statement: string }[] = await ds.query('SELECT name, statement FROM pg_prepared_statements');
  return new Map(rows.map((r) => [r.name, r.statement]));
}

describe('named statements (DbOptions.preparedStatements, DB_PREPARED_STATEMENTS)', () => {
  const dbName = `hookstream_prep_${tag}`;
  const serverUrl = testDatabaseUrl();
  let url: string;
  let on: DataSource;
  let off: DataSource;

  beforeAll(async () => {
    url = await createDatabase(serverUrl, dbName);
    // One connection each: every query of a data source runs on the same backend.
    on = createDataSource({ url, poolSize: 1, applicationName: 'prepared-on', preparedStatements: true });
    off = createDataSource({ url, poolSize: 1, applicationName: 'prepared-off' });
    await Promise.all([on.initialize(), off.initialize()]);
  });

  afterAll(async () => {
    await Promise.all([on?.destroy(), off?.destroy()]);
    await dropDatabase(serverUrl, dbName);
  });

  it('names each registered text by its content, the same name every time', () => {
    const name = preparedStatementName(ADD_ONE);
    expect(name).toMatch(/^hs_[0-9a-f]{24}$/);
    expect(preparedStatementName(preparedStatement(ADD_ONE))).toBe(name);
    expect(preparedStatementName(INSERT_ITEM)).not.toBe(name);
    expect(preparedStatementName(NOT_REGISTERED)).toBeUndefined();
  });

  it('runs a registered text as a named statement of the connection, and any other text unnamed', async () => {
    expect(await on.query(ADD_ONE, [41])).toEqual([{ n: 42 }]);
    expect(await on.query(ADD_ONE, [1])).toEqual([{ n: 2 }]);
    expect(await on.query(NOT_REGISTERED, [1])).toEqual([{ n: 3 }]);
    const prepared = await preparedOn(on);
    expect(prepared.get(preparedStatementName(ADD_ONE) as string)).toBe(ADD_ONE);
    expect([...prepared.values()]).not.toContain(NOT_REGISTERED);
  });

  it('leaves every text unnamed on a data source without the option', async () => {
    expect(await off.query(ADD_ONE, [41])).toEqual([{ n: 42 }]);
    expect([...(await preparedOn(off)).values()]).not.toContain(ADD_ONE);
  });

  it('reports a statement that fails to parse as TypeORM does, and prepares it once it can', async () => {
    const err = await on.query(INSERT_ITEM, [1]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryFailedError);
    expect((err as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe('42P01'); // undefined_table
    await on.query('CREATE TABLE prepared_spec_items (id integer PRIMARY KEY)');
    expect(await on.query(INSERT_ITEM, [1])).toEqual([{ id: 1 }]);
    expect((await preparedOn(on)).get(preparedStatementName(INSERT_ITEM) as string)).toBe(INSERT_ITEM);
  });

  it('reports an execution error with its code, and the connection goes on with the same statement', async () => {
    await on.query('CREATE TABLE IF NOT EXISTS prepared_spec_items (id integer PRIMARY KEY)');
    await on.query(INSERT_ITEM, [10]);
    const err = await on.query(INSERT_ITEM, [10]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryFailedError);
    expect((err as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe('23505'); // unique_violation
    expect(await on.query(INSERT_ITEM, [11])).toEqual([{ id: 11 }]);
  });

  it('prepares a statement again after the session lost it (what a pooler in transaction mode does), saying why it failed once', async () => {
    expect(await on.query(ADD_ONE, [1])).toEqual([{ n: 2 }]);
    // The server forgets the named statement; node-postgres still counts ADD_ONE as parsed on this connection.
    await on.query(`DEALLOCATE ${preparedStatementName(ADD_ONE) as string}`);
    const err = await on.query(ADD_ONE, [1]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryFailedError);
    expect((err as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe('26000');
    expect((err as Error).message).toContain(MISSING_STATEMENT_ADVICE);
    expect((err as Error).message).toContain('DB_PREPARED_STATEMENTS=false');
    // The retry (the failure classifier holds the batch and runs it again) parses it anew.
    expect(await on.query(ADD_ONE, [5])).toEqual([{ n: 6 }]);
    expect((await preparedOn(on)).get(preparedStatementName(ADD_ONE) as string)).toBe(ADD_ONE);
  });

  it('works inside a transaction, which commits or rolls back the named statement\'s writes like any other', async () => {
    await on.query('CREATE TABLE IF NOT EXISTS prepared_spec_items (id integer PRIMARY KEY)');
    await on.transaction(async (em) => {
      await em.query(INSERT_ITEM, [20]);
    });
    await on
      .transaction(async (em) => {
        await em.query(INSERT_ITEM, [21]);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    const ids: { id: number }[] = await on.query('SELECT id FROM prepared_spec_items WHERE id IN (20, 21) ORDER BY id');
    expect(ids).toEqual([{ id: 20 }]);
  });
});
