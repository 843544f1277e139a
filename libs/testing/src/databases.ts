import { Client } from 'pg';

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

function pgCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/**
 * Creates a throwaway database `name` on the server of `serverUrl` (the role needs CREATEDB) and
 * returns its URL. Pair it with `dropDatabase`.
 */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  if (!IDENT.test(name)) throw new Error(`createDatabase: "${name}" is not a plain lower-case identifier`);
  const client = new Client({ connectionString: serverUrl, application_name: 'hookstream-test-createdb' });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Drops a throwaway database, whoever is still in it.
 *
 * `DROP DATABASE … WITH (FORCE)` ends our own lingering sessions at once, but for a non-superuser
 * role it refuses when an autovacuum worker happens to be in the database (the worker runs as no
 * role, so the caller is "not a member of the role whose process is being terminated", SQLSTATE
 * 42501 — this failed a CI run). A plain DROP handles autovacuum itself (PostgreSQL cancels the
 * worker), so a 42501 is answered with a plain DROP, and a plain DROP that meets sessions (55006,
 * "being accessed by other users") with FORCE again, until the deadline.
 */
export async function dropDatabase(serverUrl: string, name: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  if (!IDENT.test(name)) throw new Error(`dropDatabase: "${name}" is not a plain lower-case identifier`);
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const client = new Client({ connectionString: serverUrl, application_name: 'hookstream-test-dropdb' });
  await client.connect();
  try {
    let force = true;
    for (;;) {
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name}${force ? ' WITH (FORCE)' : ''}`);
        return;
      } catch (err) {
        const code = pgCode(err);
        if (code !== '55006' && code !== '42501') throw err;
        if (Date.now() > deadline) {
          throw new Error(`could not drop database ${name} within ${opts.timeoutMs ?? 30_000} ms: ${(err as Error).message}`);
        }
        force = code === '55006';
        if (force) await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    await client.end();
  }
}
