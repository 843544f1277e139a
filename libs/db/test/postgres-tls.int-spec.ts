import { BaseAppConfig, ConfigValidationError, loadConfig } from '@hookstream/config';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { freePort } from '@hookstream/testing';
import { createDataSource, migrateWithLock } from '../src';

/**
 * PostgreSQL over TLS with `sslmode=verify-full` against a private instance this test starts:
 * initdb in a temp dir (as the postgres OS user when run as root), its own port, `ssl=on` with
 * certificates made here by openssl, and a pg_hba that refuses any connection without TLS.
 * The shared cluster is never touched.
 */
describe('PostgreSQL over TLS (sslmode=verify-full with a CA)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookstream-pg-tls-'));
  const data = join(dir, 'data');
  const tls = join(dir, 'tls');
  const password = 'tls-test-password';
  let port = 0;
  const asRoot = userInfo().uid === 0;
  const pgBin = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();

  /** Runs a PostgreSQL server binary as its owner (postgres refuses to run as root). */
  const pg = (bin: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(pgBin, bin), ...args], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' })
      : execFileSync(join(pgBin, bin), args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: tls, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = (params: string, host = '127.0.0.1') => `postgres://hookstream:${password}@${host}:${port}/hookstream_tls?${params}`;

  beforeAll(async () => {
    port = await freePort();
    mkdirSync(tls);
    chmodSync(dir, 0o755);
    // A CA and a server certificate for 127.0.0.1 only; a second CA that signed nothing here.
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=hookstream-test-pg-ca', '-keyout', 'ca.key', '-out', 'ca.pem']);
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=some-other-ca', '-keyout', 'other-ca.key', '-out', 'other-ca.pem']);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
    writeFileSync(join(tls, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem']);
    chmodSync(join(tls, 'server.key'), 0o600);
    mkdirSync(data, { mode: 0o700 });
    if (asRoot) {
      const { uid, gid } = idOf('postgres');
      for (const p of [dir, data, join(tls, 'server.key'), join(tls, 'server.pem')]) chownSync(p, uid, gid);
    }
    const pwfile = join(dir, 'pw');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o644 });
    pg('initdb', ['-D', data, '-U', 'hookstream', '--pwfile', pwfile, '-A', 'scram-sha-256', '--no-sync']);
    writeFileSync(join(data, 'pg_hba.conf'), [
      'local all all scram-sha-256',
      'hostssl all all 127.0.0.1/32 scram-sha-256',
      'hostnossl all all 127.0.0.1/32 reject',
    ].join('\n') + '\n');
    pg('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', 'start', '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file=${join(tls, 'server.pem')} -c ssl_key_file=${join(tls, 'server.key')} -c fsync=off`]);
    // The database the app connects to, created over TLS itself.
    const { Client } = await import('pg');
    const c = new Client({ connectionString: url(`sslmode=verify-full&sslrootcert=${join(tls, 'ca.pem')}`).replace('/hookstream_tls?', '/postgres?') });
    await c.connect();
    await c.query('CREATE DATABASE hookstream_tls');
    await c.end();
  }, 120_000);

  afterAll(() => {
    try {
      pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('the app data source connects with verify-full and a CA, runs the migrations, and the session is encrypted', async () => {
    const cfg = loadConfig(BaseAppConfig, { DATABASE_URL: url(`sslmode=verify-full&sslrootcert=${join(tls, 'ca.pem')}`), HOOKSTREAM_DEV_INSECURE_KEYS: 'true' });
    const ds = createDataSource({ url: cfg.DATABASE_URL, applicationName: 'it-pg-tls' });
    await ds.initialize();
    try {
      expect((await migrateWithLock(ds)).length).toBeGreaterThan(0);
      const [row] = (await ds.query('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()')) as { ssl: boolean; version: string }[];
      expect(row.ssl).toBe(true);
      expect(row.version).toMatch(/^TLSv1\.[23]$/);
    } finally {
      await ds.destroy();
    }
  }, 60_000);

  it('a server certificate from another CA is refused', async () => {
    const ds = createDataSource({ url: url(`sslmode=verify-full&sslrootcert=${join(tls, 'other-ca.pem')}`) });
    await expect(ds.initialize()).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  }, 30_000);

  it('without TLS the server refuses the connection (the TLS above was real)', async () => {
    const ds = createDataSource({ url: url('sslmode=disable') });
    await expect(ds.initialize()).rejects.toThrow(/no encryption|pg_hba/);
  }, 30_000);

  it('a CA file that cannot be read fails the config at boot, naming DATABASE_URL and sslrootcert', () => {
    let err: unknown;
    try {
      loadConfig(BaseAppConfig, { DATABASE_URL: url('sslmode=verify-full&sslrootcert=/nonexistent/root.crt'), HOOKSTREAM_DEV_INSECURE_KEYS: 'true' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigValidationError);
    const problems = (err as ConfigValidationError).problems.join('\n');
    expect(problems).toMatch(/^DATABASE_URL=\(hidden\): DATABASE_URL names sslrootcert=\/nonexistent\/root.crt, which cannot be read \(ENOENT\)/);
    expect(problems).not.toContain(password);
  });
});

function idOf(user: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}
