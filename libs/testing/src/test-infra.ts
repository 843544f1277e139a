import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

/*
 * Where the integration and e2e suites get their Kafka and PostgreSQL: a broker and a database
 * server of their own for each run, never the dev stack's (whose apps would read the tests'
 * records and the other way round). With a Docker engine they are containers (testcontainers,
 * host network, free ports); without one, local processes that are just as private (own port,
 * data dir, database). Ryuk cannot be pulled here, so it is off and this module cleans up: the
 * global teardown removes what the run started, and the next run removes what a killed run left.
 */

const execFileAsync = promisify(execFile);

export const ROOT = join(__dirname, '..', '..', '..');
/** Local images built by tools/docker/build-images.sh (docker/kafka, docker/postgres). */
export const TEST_IMAGES = {
  kafka: process.env['HOOKSTREAM_KAFKA_IMAGE'] ?? 'hookstream-kafka:4.1.1',
  postgres: process.env['HOOKSTREAM_POSTGRES_IMAGE'] ?? 'hookstream-postgres:17',
};
const RUNS_DIR = join(tmpdir(), 'hookstream-test-runs');
const LABEL_RUN = 'dev.hookstream.test-run';
const LABEL_OWNER = 'dev.hookstream.test-owner-pid';

export type InfraMode = 'containers' | 'processes';

export interface KafkaInstance {
  readonly brokers: string;
  /** How it runs, for the log line: "testcontainers hookstream-kafka:4.1.1", "process", "given". */
  readonly how: string;
  /** Stops the broker, keeping its data (an outage). */
  stop(): Promise<void>;
  /** Starts it again after stop(), same port and data, and waits until it answers. */
  start(): Promise<void>;
  /** Stops it for good and removes its data; a no-op for a broker this run did not start. */
  destroy(): Promise<void>;
}

export interface PostgresInstance {
  /** URL of the `hookstream_test` database, owned by the CREATEDB role `hookstream`. */
  readonly url: string;
  readonly how: string;
  destroy(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** `n` distinct free ports (all held at once while choosing, so none is handed out twice). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => resolve(srv));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function docker(args: string[], timeoutMs = 10_000): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
}

/**
 * containers when a Docker engine answers and the local Kafka/PostgreSQL images exist (npm test
 * builds them first), else processes. HOOKSTREAM_TEST_INFRA=containers|processes forces one.
 */
export function chooseInfraMode(): { mode: InfraMode; reason: string } {
  const want = process.env['HOOKSTREAM_TEST_INFRA'] ?? 'auto';
  if (want !== 'auto' && want !== 'containers' && want !== 'processes') {
    throw new Error(`HOOKSTREAM_TEST_INFRA=${want}: use auto, containers or processes`);
  }
  if (want === 'processes') return { mode: 'processes', reason: 'HOOKSTREAM_TEST_INFRA=processes' };
  let why: string;
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 19)) {
    // testcontainers 12 (its undici) needs Node 22.19+; npm test runs on Node 24 (tools/dev/ensure-node.sh).
    why = `testcontainers needs Node 22.19+, this is ${process.version} (PATH="$(bash tools/dev/ensure-node.sh):$PATH" gives Node 24)`;
    if (want === 'containers') throw new Error(`HOOKSTREAM_TEST_INFRA=containers, but ${why}`);
    return { mode: 'processes', reason: why };
  }
  try {
    docker(['info', '--format', '{{.ServerVersion}}'], 8_000);
    try {
      docker(['image', 'inspect', '--format', '{{.Id}}', TEST_IMAGES.kafka, TEST_IMAGES.postgres]);
      return { mode: 'containers', reason: 'Docker engine and images present' };
    } catch {
      why = `images ${TEST_IMAGES.kafka} / ${TEST_IMAGES.postgres} not built (bash tools/docker/build-images.sh kafka postgres)`;
    }
  } catch {
    why = 'no Docker engine answering (bash tools/docker/ensure-docker.sh starts one)';
  }
  if (want === 'containers') throw new Error(`HOOKSTREAM_TEST_INFRA=containers, but ${why}`);
  return { mode: 'processes', reason: why };
}

/** Owner pid of a run directory or container label; runs whose owner died are stale. */
export function cleanStaleRuns(): void {
  if (existsSync(RUNS_DIR)) {
    for (const id of readdirSync(RUNS_DIR)) {
      const dir = join(RUNS_DIR, id);
      const owner = Number(existsSync(join(dir, 'owner.pid')) ? readFileSync(join(dir, 'owner.pid'), 'utf8') : NaN);
      if (Number.isFinite(owner) && pidAlive(owner)) continue;
      // A killed run: stop what it left (both scripts are no-ops for what is not there).
      const env = kafkaProcessEnv(join(dir, 'kafka'), 0, 0);
      try {
        execFileSync('bash', [join(ROOT, 'tools/infra/kafka.sh'), 'stop'], { env, stdio: 'ignore', timeout: 40_000 });
      } catch { /* already gone */ }
      try {
        execFileSync('bash', [join(ROOT, 'tools/infra/pg-instance.sh'), 'stop', join(dir, 'pg')], { stdio: 'ignore', timeout: 40_000 });
      } catch { /* already gone */ }
      rmSync(dir, { recursive: true, force: true });
    }
  }
  let rows: string[] = [];
  try {
    rows = docker(['ps', '-a', '--filter', `label=${LABEL_RUN}`, '--format', `{{.ID}} {{.Label "${LABEL_OWNER}"}}`]).split('\n').filter(Boolean);
  } catch {
    return; // no Docker engine: no containers to clean
  }
  const stale = rows.map((r) => r.split(' ')).filter(([, pid]) => !pidAlive(Number(pid))).map(([id]) => id);
  if (stale.length > 0) docker(['rm', '-f', '-v', ...stale], 60_000);
  // Projects of the compose e2e (hookstream-e2e-<jest pid>) whose run was killed before `down -v`.
  const projects = new Set(docker(['ps', '-a', '--filter', 'label=com.docker.compose.project', '--format', '{{.Label "com.docker.compose.project"}}']).split('\n'));
  for (const p of projects) {
    const m = /^hookstream-e2e-(\d+)$/.exec(p);
    if (!m || pidAlive(Number(m[1]))) continue;
    const ids = docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${p}`]).split('\n').filter(Boolean);
    if (ids.length > 0) docker(['rm', '-f', '-v', ...ids], 60_000);
    const vols = docker(['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${p}`]).split('\n').filter(Boolean);
    if (vols.length > 0) docker(['volume', 'rm', '-f', ...vols], 60_000);
  }
}

export interface RunDir {
  readonly id: string;
  readonly dir: string;
}

export function newRunDir(): RunDir {
  const id = `${Date.now().toString(36)}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const dir = join(RUNS_DIR, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  return { id, dir };
}

export async function waitForKafka(brokers: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const admin = new Kafka({ brokers: brokers.split(','), clientId: 'hookstream-test-infra', logLevel: logLevel.NOTHING, connectionTimeout: 1500, requestTimeout: 3000, retry: { retries: 0 } }).admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`Kafka at ${brokers} did not answer within ${timeoutMs} ms: ${(err as Error).message}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function waitForPostgres(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL at ${url} did not answer within ${timeoutMs} ms: ${(err as Error).message}`);
    } finally {
      await c.end().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

function kafkaProcessEnv(state: string, port: number, controllerPort: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOOKSTREAM_STATE: state,
    KAFKA_HEAP_OPTS: process.env['KAFKA_HEAP_OPTS'] ?? '-Xms128m -Xmx512m',
  };
  if (port) env['KAFKA_PORT'] = String(port);
  if (controllerPort) env['KAFKA_CONTROLLER_PORT'] = String(controllerPort);
  // kafka.sh would only wait for a given broker; this one is started here.
  delete env['KAFKA_BROKERS'];
  return env;
}

async function kafkaScript(cmd: 'start' | 'stop', env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await execFileAsync('bash', [join(ROOT, 'tools/infra/kafka.sh'), cmd], { env, timeout: 150_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`tools/infra/kafka.sh ${cmd} failed: ${e.message}\n${e.stderr ?? ''}`);
  }
}

/** A broker of its own, as a local process (tools/infra/kafka.sh with a private state dir and ports). */
async function startKafkaProcess(dir: string): Promise<KafkaInstance> {
  const [port, controllerPort] = await freePorts(2);
  const state = join(dir, 'kafka');
  const env = kafkaProcessEnv(state, port, controllerPort);
  await kafkaScript('start', env);
  const brokers = `127.0.0.1:${port}`;
  return {
    brokers,
    how: `process (tools/infra/kafka.sh, state ${state})`,
    stop: () => kafkaScript('stop', env),
    start: async () => {
      await kafkaScript('start', env);
      await waitForKafka(brokers);
    },
    destroy: async () => {
      await kafkaScript('stop', env);
      rmSync(state, { recursive: true, force: true });
    },
  };
}

async function testcontainers(): Promise<typeof import('testcontainers')> {
  // Ryuk's image cannot be pulled here; cleanup is ours (teardown + cleanStaleRuns).
  process.env['TESTCONTAINERS_RYUK_DISABLED'] = 'true';
  // Host networking only: every container is on 127.0.0.1. (Without this, testcontainers running
  // inside a container looks for the `bridge` network's gateway, and there is no bridge here.)
  process.env['TESTCONTAINERS_HOST_OVERRIDE'] ??= '127.0.0.1';
  return import('testcontainers');
}

function labels(run: RunDir): Record<string, string> {
  return { [LABEL_RUN]: run.id, [LABEL_OWNER]: String(process.pid) };
}

/**
 * A broker of its own in a container (host network: it listens on 127.0.0.1 like a process).
 * Free ports are asked of the kernel and released before the broker binds them, so another process
 * (an outgoing connection's ephemeral port, say) can take one in between; the broker then exits at
 * start. That start is tried again on new ports, up to three times.
 */
async function startKafkaContainer(run: RunDir): Promise<KafkaInstance> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startKafkaContainerOnce(run);
    } catch (err) {
      if (attempt >= 3) throw err;
      console.warn(`[test-infra] the Kafka container did not start (attempt ${attempt}: ${err instanceof Error ? err.message : String(err)}); trying again on new ports`);
    }
  }
}

async function startKafkaContainerOnce(run: RunDir): Promise<KafkaInstance> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await testcontainers();
  const [port, controllerPort] = await freePorts(2);
  const started = await new GenericContainer(TEST_IMAGES.kafka)
    .withNetworkMode('host')
    .withEnvironment({
      KAFKA_LISTEN_HOST: '127.0.0.1',
      KAFKA_ADVERTISED_HOST: '127.0.0.1',
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
      KAFKA_HEAP_OPTS: process.env['KAFKA_HEAP_OPTS'] ?? '-Xms128m -Xmx512m',
      // Given, so the entrypoint need not start a JVM only to make one up.
      KAFKA_CLUSTER_ID: randomBytes(16).toString('base64url'),
    })
    .withLabels(labels(run))
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(120_000)
    .start();
  const brokers = `127.0.0.1:${port}`;
  await waitForKafka(brokers);
  const client = await getContainerRuntimeClient();
  const container = client.container.getById(started.getId());
  return {
    brokers,
    how: `testcontainers ${TEST_IMAGES.kafka} (${started.getId().slice(0, 12)})`,
    stop: () => client.container.stop(container, { timeout: 20 }),
    start: async () => {
      await client.container.start(container);
      await waitForKafka(brokers);
    },
    destroy: async () => {
      await started.stop({ remove: true, removeVolumes: true, timeout: 5 });
    },
  };
}

async function startPostgresProcess(dir: string): Promise<PostgresInstance> {
  const port = await freePort();
  const pgDir = join(dir, 'pg');
  const script = join(ROOT, 'tools/infra/pg-instance.sh');
  let url: string;
  try {
    url = (await execFileAsync('bash', [script, 'start', pgDir, String(port)], { timeout: 120_000 })).stdout.trim().split('\n').pop() ?? '';
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`tools/infra/pg-instance.sh start failed: ${e.message}\n${e.stderr ?? ''}`);
  }
  await waitForPostgres(url);
  return {
    url,
    how: `process (tools/infra/pg-instance.sh, data ${pgDir})`,
    destroy: async () => {
      await execFileAsync('bash', [script, 'stop', pgDir], { timeout: 60_000 });
    },
  };
}

async function startPostgresContainer(run: RunDir): Promise<PostgresInstance> {
  const { GenericContainer, Wait } = await testcontainers();
  const port = await freePort();
  const started = await new GenericContainer(TEST_IMAGES.postgres)
    .withNetworkMode('host')
    .withEnvironment({ PGPORT: String(port), POSTGRES_LISTEN: '127.0.0.1', POSTGRES_USER: 'hookstream', POSTGRES_PASSWORD: 'hookstream', POSTGRES_DB: 'hookstream_test' })
    // Throwaway data: durability off for speed, as in the process fallback.
    .withCommand(['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'])
    .withLabels(labels(run))
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/))
    .withStartupTimeout(120_000)
    .start();
  const url = `postgres://hookstream:hookstream@127.0.0.1:${port}/hookstream_test`;
  await waitForPostgres(url);
  return {
    url,
    how: `testcontainers ${TEST_IMAGES.postgres} (${started.getId().slice(0, 12)})`,
    destroy: async () => {
      await started.stop({ remove: true, removeVolumes: true, timeout: 5 });
    },
  };
}

export function startKafka(mode: InfraMode, run: RunDir): Promise<KafkaInstance> {
  return mode === 'containers' ? startKafkaContainer(run) : startKafkaProcess(run.dir);
}

export function startPostgres(mode: InfraMode, run: RunDir): Promise<PostgresInstance> {
  return mode === 'containers' ? startPostgresContainer(run) : startPostgresProcess(run.dir);
}

/**
 * A broker for one test file only — for a test that takes its broker down (an outage) and must not
 * touch the run's shared one. Same kind as the run's (the global setup records it in
 * HOOKSTREAM_TEST_INFRA_MODE). `destroy()` it in afterAll.
 */
export async function startPrivateKafka(): Promise<KafkaInstance> {
  const mode: InfraMode = process.env['HOOKSTREAM_TEST_INFRA_MODE'] === 'containers' ? 'containers' : 'processes';
  const run = newRunDir();
  const kafka = await startKafka(mode, run);
  await createProjectTopics(kafka.brokers);
  return {
    ...kafka,
    destroy: async () => {
      await kafka.destroy();
      rmSync(run.dir, { recursive: true, force: true });
    },
  };
}

/** The project's topics (auto-creation is off), as the apps would create them. */
export async function createProjectTopics(brokers: string): Promise<void> {
  await execFileAsync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(ROOT, 'libs/kafka/src/cli/create-topics.ts')], {
    cwd: ROOT,
    env: { ...process.env, KAFKA_BROKERS: brokers, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
    timeout: 120_000,
  });
}
