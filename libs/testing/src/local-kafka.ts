import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');
const SCRIPT = join(ROOT, 'tools/infra/kafka.sh');

export interface LocalKafkaOptions {
  /** Nodes (KRaft combined broker + controller each). */
  nodes?: number;
  security?: 'plaintext' | 'sasl_ssl';
  /** Also open an SSL listener that requires a client certificate (single node, sasl_ssl only). */
  mutualTls?: boolean;
  heap?: string;
}

/** A free TCP port on 127.0.0.1 (the kernel's pick). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** `n` consecutive free ports (a cluster's nodes use KAFKA_PORT + 2(i-1) and KAFKA_CONTROLLER_PORT + 2(i-1)). */
export async function freePortRange(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const ports = Array.from({ length: n }, (_, i) => base + i);
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error(`no ${n} consecutive free ports found`);
}

/**
 * A Kafka of the test's own, started through the project's script (tools/infra/kafka.sh) in a
 * private state directory on free ports: its own processes, data, certificates and SCRAM users.
 * Stopped and deleted by `stop()`; never touches the shared broker.
 */
export class LocalKafka {
  readonly state = mkdtempSync(join(tmpdir(), 'hookstream-kafka-'));
  readonly nodes: number;
  private env: NodeJS.ProcessEnv = {};
  brokers = '';
  mtlsBroker = '';

  constructor(private readonly opts: LocalKafkaOptions = {}) {
    this.nodes = opts.nodes ?? 1;
  }

  async start(): Promise<string> {
    const base = await freePortRange(4 * this.nodes + 1);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOOKSTREAM_STATE: this.state,
      KAFKA_CLUSTER_SIZE: String(this.nodes),
      KAFKA_SECURITY: this.opts.security ?? 'plaintext',
      KAFKA_PORT: String(base),
      KAFKA_CONTROLLER_PORT: String(base + 1),
      KAFKA_HEAP_OPTS: this.opts.heap ?? '-Xms128m -Xmx384m',
      KAFKA_WAIT_SECONDS: '150',
    };
    // The test run's own broker (and its client settings) must not leak into the script.
    for (const k of Object.keys(env)) if (/^KAFKA_(BROKERS|SSL|SASL)/.test(k)) delete env[k];
    if (this.opts.mutualTls) {
      env['KAFKA_MTLS_PORT'] = String(base + 4 * this.nodes);
      this.mtlsBroker = `127.0.0.1:${env['KAFKA_MTLS_PORT']}`;
    }
    this.env = env;
    this.brokers = (await this.script('start')).trim().split('\n').pop() ?? '';
    return this.brokers;
  }

  /** The variables a Hookstream client needs for this Kafka (KAFKA_SSL, KAFKA_SASL_*, replication). */
  async clientEnv(): Promise<Record<string, string>> {
    const out = await this.script('client-env');
    return Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  }

  /** A file the script made (certificates live in `<state>/kafka/tls/`). */
  tlsFile(name: string): string {
    return join(this.state, 'kafka', 'tls', name);
  }

  async pid(node: number): Promise<number> {
    return Number((await this.script('pid', String(node))).trim());
  }

  /** Starts a stopped or killed node again and waits until the cluster lists every broker. */
  async startNode(node: number): Promise<void> {
    await this.script('start-node', String(node));
  }

  /** SIGTERM (controlled shutdown) and wait for the exit. */
  async stopNode(node: number): Promise<void> {
    await this.script('stop-node', String(node));
  }

  /** The node id of the active KRaft controller (clients' metadata names a random broker instead). */
  async activeController(): Promise<number> {
    return Number((await this.script('quorum-leader')).trim());
  }

  async signal(node: number, signal: NodeJS.Signals): Promise<number> {
    const pid = await this.pid(node);
    process.kill(pid, signal);
    return pid;
  }

  async stop(): Promise<void> {
    if (!this.env['HOOKSTREAM_STATE']) return;
    await this.script('stop').catch(() => undefined);
    rmSync(this.state, { recursive: true, force: true });
  }

  private async script(...args: string[]): Promise<string> {
    try {
      const { stdout } = await run('bash', [SCRIPT, ...args], { env: this.env, cwd: ROOT, maxBuffer: 1 << 20 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`tools/infra/kafka.sh ${args.join(' ')} failed: ${e.stderr?.split('\n').slice(-15).join('\n') ?? e.message}`);
    }
  }
}
