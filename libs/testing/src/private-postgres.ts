import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/** Debian's PostgreSQL server binaries, newest version first (`/usr/lib/postgresql/<ver>/bin`). */
function serverBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('PrivatePostgres: no PostgreSQL server binaries under /usr/lib/postgresql/<ver>/bin (apt-get install postgresql)');
  return join(root, versions[0], 'bin');
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * A PostgreSQL server of a test's own — its own data directory (a temp dir) and port — that the
 * test may stop and start to simulate an outage. The shared cluster is never touched.
 *
 * As root, the server runs as the `postgres` OS user (PostgreSQL refuses to run as root).
 * Durability is traded for speed (`fsync=off`): the data is thrown away afterwards.
 */
export class PrivatePostgres {
  readonly user = 'hookstream';
  readonly password = 'hookstream';
  private dataDir?: string;
  private portNo?: number;
  private readonly bin = serverBinDir();

  get port(): number {
    if (this.portNo === undefined) throw new Error('PrivatePostgres: not started');
    return this.portNo;
  }

  /** URL of `database` on this server (default: the server's `postgres` database, for admin). */
  url(database = 'postgres'): string {
    return `postgres://${this.user}:${this.password}@127.0.0.1:${this.port}/${database}`;
  }

  private run(cmd: string, args: string[]): void {
    const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(this.bin, cmd), ...args]] : [join(this.bin, cmd), args];
    const r = spawnSync(file, argv, { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`PrivatePostgres: ${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  }

  /** Creates the cluster on first call (initdb, a superuser role `hookstream`), then starts it; waits until it accepts connections. */
  async start(): Promise<void> {
    if (!this.dataDir) {
      const dir = mkdtempSync(join(tmpdir(), 'hookstream-pg-'));
      if (typeof process.getuid === 'function' && process.getuid() === 0) {
        const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
        const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
        chownSync(dir, uid, gid);
      }
      this.dataDir = dir;
      this.run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
      this.portNo = await freePort();
    }
    const dir = this.dataDir;
    this.run('pg_ctl', [
      '-D', join(dir, 'data'), '-l', join(dir, 'server.log'), '-w', '-t', '60',
      '-o', `-p ${this.port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
      'start',
    ]);
    const admin = new Client({ host: '127.0.0.1', port: this.port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    try {
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [this.user]);
      if (exists.rowCount === 0) await admin.query(`CREATE ROLE ${this.user} LOGIN SUPERUSER PASSWORD '${this.password}'`);
    } finally {
      await admin.end();
    }
  }

  /** Stops the server as `pg_ctlcluster … stop -m fast` would: sessions are terminated (57P01). */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    if (!this.dataDir) return;
    this.run('pg_ctl', ['-D', join(this.dataDir, 'data'), '-m', mode, '-w', '-t', '60', 'stop']);
  }

  running(): boolean {
    if (!this.dataDir) return false;
    return existsSync(join(this.dataDir, 'data', 'postmaster.pid'));
  }

  /** Stops the server if running and deletes its data directory. */
  destroy(): void {
    if (!this.dataDir) return;
    if (this.running()) this.stop('immediate');
    rmSync(this.dataDir, { recursive: true, force: true });
    this.dataDir = undefined;
  }
}
