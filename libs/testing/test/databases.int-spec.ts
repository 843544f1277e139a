import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createDatabase, dropDatabase, testDatabaseUrl } from '../src';

function urlFor(db: string): string {
  const u = new URL(testDatabaseUrl());
  u.pathname = `/${db}`;
  return u.toString();
}

async function exists(db: string): Promise<boolean> {
  const c = new Client({ connectionString: testDatabaseUrl() });
  await c.connect();
  try {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
    return r.rowCount === 1;
  } finally {
    await c.end();
  }
}

describe('dropDatabase (real PostgreSQL)', () => {
  it('drops a database that still has sessions of our own in it, ending them', async () => {
    const db = `hookstream_drop_${randomBytes(5).toString('hex')}`;
    const url = await createDatabase(testDatabaseUrl(), db);
    expect(url).toBe(urlFor(db));
    expect(await exists(db)).toBe(true);

    const lingering = new Client({ connectionString: url });
    lingering.on('error', () => undefined); // its session is terminated under it
    await lingering.connect();
    await lingering.query('CREATE TABLE t (x int)');

    await dropDatabase(testDatabaseUrl(), db);

    expect(await exists(db)).toBe(false);
    await expect(lingering.query('SELECT 1')).rejects.toThrow();
    await lingering.end().catch(() => undefined);
  });

  it('is a no-op for a database that does not exist, and refuses names that are not plain identifiers', async () => {
    await expect(dropDatabase(testDatabaseUrl(), `hookstream_absent_${randomBytes(4).toString('hex')}`)).resolves.toBeUndefined();
    await expect(dropDatabase(testDatabaseUrl(), 'x; DROP TABLE y')).rejects.toThrow(/plain lower-case identifier/);
    await expect(createDatabase(testDatabaseUrl(), 'x; DROP TABLE y')).rejects.toThrow(/plain lower-case identifier/);
  });
});
