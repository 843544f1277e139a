import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Topics, topicsConsumedBy } from '@hookstream/contracts';
import { dropDatabase, freePorts, startGroupAtEnd, testDatabaseUrl, testBrokers, testKafka, waitFor } from '@hookstream/testing';
import { Client } from 'pg';

export const ROOT = join(__dirname, '..', '..');
/**
 * The Node flags of one app as this helper (and the benches) start it: the app's own, from
 * tools/runtime/node-flags.sh as in the image and `npm start` (HOOKSTREAM_APP_NODE_FLAGS=off drops
 * them), then the extra ones of `HOOKSTREAM_NODE_FLAGS` for every app (e.g.
 * `--max-semi-space-size=32` for a bench A/B; a later V8 flag wins).
 */
export function appNodeFlags(app: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const own = execFileSync('sh', [join(ROOT, 'tools', 'runtime', 'node-flags.sh'), app], { env, encoding: 'utf8' });
  return [...own.split(/\s+/), ...(env['HOOKSTREAM_NODE_FLAGS'] ?? '').split(/\s+/)].filter(Boolean);
}

export const APPS = ['control-api', 'ingest-gateway', 'validator', 'enricher', 'automation', 'delivery', 'projector'] as const;
export type AppName = (typeof APPS)[number];

/**
 * The topics each app's consumer group reads, as the published topic contracts name them (the same
 * list the AsyncAPI document gives subscribers). Automation's contact-events only with
 * AUTOMATION_CONSUME_CONTACT_EVENTS=true: by default ('auto') a group that never committed there does
 * not consume it, and these pipelines run as a new installation.
 */
function consumedBy(app: AppName, env: NodeJS.ProcessEnv): string[] {
  return topicsConsumedBy(app).filter((t) => t !== Topics.contactEvents || env['AUTOMATION_CONSUME_CONTACT_EVENTS'] === 'true');
}

/**
 * Runs the compiled apps (dist/, built by `npm test` before this suite) as real processes on
 * free ports and their own consumer-group suffix, against the run's broker and a database of their own.
 * Ports are chosen when the pipeline first starts (`start` or `cli`), so `url()` works from then on.
 */
export class Pipeline {
  private assigned?: Record<AppName, number>;
  readonly env: NodeJS.ProcessEnv;
  private readonly procs = new Map<AppName, ChildProcess>();
  /** Node flags per app for its next (re)start, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  readonly nodeArgs: Partial<Record<AppName, string[]>> = {};
  readonly logDir = join(ROOT, 'test-artifacts', 'e2e-logs');

  /** The PostgreSQL server this pipeline's database is created on (a test's private one, or the test server). */
  private readonly databaseServerUrl: string;

  /** `extraEnv` overrides the defaults below (e.g. KAFKA_BROKERS of a broker the test owns). */
  constructor(private readonly extraEnv: NodeJS.ProcessEnv = {}, opts: { databaseServerUrl?: string } = {}) {
    this.databaseServerUrl = opts.databaseServerUrl ?? testDatabaseUrl();
    this.env = {
      ...process.env,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      EMAIL_KEY_SECRET: randomBytes(32).toString('base64'),
      KAFKA_GROUP_SUFFIX: `-e2e-${randomBytes(4).toString('hex')}`,
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DELIVERY_ALLOWED_CIDRS: '127.0.0.1/32',
      DELIVERY_ALLOW_HTTP: 'true',
      DELIVERY_ALLOWED_PORTS: 'any',
      ENDPOINT_ALLOW_HTTP: 'true',
      ENDPOINT_ALLOWED_PORTS: 'any',
      ...extraEnv,
    };
    if (!existsSync(join(ROOT, 'dist/apps/ingest-gateway/src/main.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (npm test does it).');
    }
  }

  get ports(): Record<AppName, number> {
    if (!this.assigned) throw new Error('Pipeline ports are chosen when it starts: call start() or cli() first.');
    return this.assigned;
  }

  url(app: AppName, path = ''): string {
    return `http://127.0.0.1:${this.ports[app]}${path}`;
  }

  /** Free ports for every app (once), and the settings that name them. */
  private async assignPorts(): Promise<void> {
    if (this.assigned) return;
    // One more than the apps: the delivery app's internal API has a listener of its own (loopback).
    const free = await freePorts(APPS.length + 1);
    this.assigned = Object.fromEntries(APPS.map((a, i) => [a, free[i]])) as Record<AppName, number>;
    const internal = free[APPS.length];
    this.env['PUBLIC_BASE_URL'] = this.extraEnv['PUBLIC_BASE_URL'] ?? `http://127.0.0.1:${this.assigned['ingest-gateway']}`;
    this.env['DELIVERY_INTERNAL_PORT'] = this.extraEnv['DELIVERY_INTERNAL_PORT'] ?? String(internal);
    this.env['DELIVERY_INTERNAL_URL'] = this.extraEnv['DELIVERY_INTERNAL_URL'] ?? `http://127.0.0.1:${this.env['DELIVERY_INTERNAL_PORT']}`;
    // Resolved here, not at construction: the broker of the test's own may start in its beforeAll.
    this.env['KAFKA_BROKERS'] = this.extraEnv['KAFKA_BROKERS'] ?? testBrokers().join(',');
    this.env['DATABASE_URL'] = this.databaseServerUrl;
  }

  /** A broker the test owns (e.g. one it takes down); call before start(). */
  useBrokers(brokers: string): void {
    this.extraEnv['KAFKA_BROKERS'] = brokers;
    this.env['KAFKA_BROKERS'] = brokers;
  }

  private database?: string;

  /**
   * Each pipeline gets a database of its own (created here, dropped in stopAll), so runs never see
   * each other's accounts, dedupe keys or deliveries — also when the test database lives on.
   */
  private async createDatabase(): Promise<void> {
    if (this.database) return;
    const name = `hookstream_e2e_${randomBytes(5).toString('hex')}`;
    const admin = new Client({ connectionString: this.databaseServerUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    this.database = name;
    this.env['DATABASE_URL'] = this.databaseServerUrl.replace(/\/[^/?]+(\?|$)/, `/${name}$1`);
  }

  private async dropDatabase(): Promise<void> {
    if (!this.database) return;
    await dropDatabase(this.databaseServerUrl, this.database);
    this.database = undefined;
  }

  async start(apps: readonly AppName[] = APPS): Promise<void> {
    await this.launch(apps);
    for (const app of apps) await this.waitReady(app);
  }

  /** Spawns the apps without waiting for them to be ready (a test of how they boot). */
  async launch(apps: readonly AppName[]): Promise<void> {
    await this.assignPorts();
    await this.createDatabase();
    await this.positionGroupsAtEnd(apps);
    mkdirSync(this.logDir, { recursive: true });
    for (const app of apps) this.spawnApp(app, 'w');
  }

  /** The exit code of an app that has exited, null while it runs (undefined: never started). */
  exitCode(app: AppName): number | null | undefined {
    return this.procs.get(app)?.exitCode;
  }

  /** The app's log so far (stdout and stderr). */
  log(app: AppName): string {
    const file = join(this.logDir, `${this.ports[app]}-${app}.log`);
    // The stream opens its file asynchronously: nothing logged yet.
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  /** `flags: 'a'` on a restart, so the new process's output follows the killed one's in the same log. */
  /**
   * This run's consumer groups are new, and a new group reads a topic from the beginning: on a
   * broker that lives on (a developer's, with benchmark history) that is a long replay of other
   * runs' events. Commit the current ends for them first, so each pipeline sees only its own traffic.
   */
  private async positionGroupsAtEnd(apps: readonly AppName[]): Promise<void> {
    const kafka = testKafka('hookstream-e2e-admin', (this.env['KAFKA_BROKERS'] ?? '').split(','));
    await Promise.all(apps.map((app) => startGroupAtEnd(kafka, `hookstream-${app}${this.env['KAFKA_GROUP_SUFFIX'] ?? ''}`, consumedBy(app, this.env))));
  }

  private spawnApp(app: AppName, flags: 'w' | 'a'): void {
    const log = createWriteStream(join(this.logDir, `${this.ports[app]}-${app}.log`), { flags });
    const p = spawn(process.execPath, [...appNodeFlags(app, this.env), ...(this.nodeArgs[app] ?? []), '-r', './tools/runtime/register.js', `dist/apps/${app}/src/main.js`], {
      cwd: ROOT,
      env: { ...this.env, HTTP_PORT: String(this.ports[app]) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    p.stdout?.pipe(log);
    p.stderr?.pipe(log);
    this.procs.set(app, p);
  }

  async waitReady(app: AppName, timeoutMs = 60000): Promise<void> {
    await waitFor(async () => {
      const p = this.procs.get(app);
      if (p && p.exitCode !== null) throw new Error(`${app} exited with ${p.exitCode}; see ${this.logDir}/${this.ports[app]}-${app}.log`);
      try {
        const r = await fetch(this.url(app, '/health/ready'));
        return r.status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    }, { timeoutMs, intervalMs: 250, what: `${app} /health/ready` });
  }

  /** SIGTERM one app; resolves with how long it took to exit and its exit code. */
  async terminate(app: AppName): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }> {
    const p = this.procs.get(app);
    if (!p || p.exitCode !== null) return { ms: 0, code: p?.exitCode ?? null, signal: null };
    const t0 = Date.now();
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => p.once('exit', (code, signal) => res({ code, signal })));
    p.kill('SIGTERM');
    const r = await done;
    this.procs.delete(app);
    return { ms: Date.now() - t0, ...r };
  }

  /**
   * Sends `signal` (default SIGKILL: no shutdown hooks, no drain — a crash) and resolves once the
   * process is gone. The app can be brought back with `restart`.
   */
  async kill(app: AppName, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const p = this.procs.get(app);
    if (!p || p.exitCode !== null || p.signalCode !== null) {
      this.procs.delete(app);
      return { code: p?.exitCode ?? null, signal: p?.signalCode ?? null };
    }
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => p.once('exit', (code, sig) => res({ code, signal: sig })));
    p.kill(signal);
    const r = await done;
    this.procs.delete(app);
    return r;
  }

  /** Starts the app again (same port, env and consumer group) and waits until it is ready; kills it first if still running. */
  async restart(app: AppName): Promise<void> {
    const p = this.procs.get(app);
    if (p && p.exitCode === null && p.signalCode === null) await this.kill(app);
    this.spawnApp(app, 'a');
    await this.waitReady(app);
  }

  /** The pid of a running app (for CPU accounting), if it runs. */
  pid(app: AppName): number | undefined {
    return this.procs.get(app)?.pid;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((a) => this.terminate(a)));
    await this.dropDatabase();
  }

  /** Runs the control-api CLI (compiled) and returns its stdout. */
  async cli(args: string[]): Promise<string> {
    await this.assignPorts();
    await this.createDatabase();
    return new Promise((resolve, reject) => {
      const p = spawn(process.execPath, ['-r', './tools/runtime/register.js', 'dist/apps/control-api/src/cli.js', ...args], { cwd: ROOT, env: this.env });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`cli ${args.join(' ')} exited ${code}: ${err}`))));
    });
  }
}
