import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@hookstream/testing';

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Debian's `prometheus` binary; `npm test` installs the package when it is missing. */
export function prometheusBinary(): string {
  const r = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' });
  const bin = r.stdout.trim();
  if (!bin) throw new Error('prometheus is not installed: apt-get install -y prometheus (npm test does it, as root)');
  return bin;
}

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

/**
 * A real Prometheus server on a free port with a throwaway data directory, scraping the given
 * targets (one job per app, so `job` names the app).
 */
export class Prometheus {
  private proc?: ChildProcess;
  private dir?: string;
  port = 0;

  /** `rules`: Prometheus rule groups (`{ groups: [...] }`), loaded and evaluated every second. */
  constructor(private readonly targets: Record<string, string>, private readonly scrapeInterval = '200ms', private readonly logFile?: string, private readonly ruleGroups?: unknown) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const bin = prometheusBinary();
    this.port = await freePort();
    this.dir = mkdtempSync(join(tmpdir(), 'hookstream-prom-'));
    const jobs = Object.entries(this.targets)
      .map(([job, target]) => `  - job_name: ${job}\n    static_configs:\n      - targets: ['${target}']`)
      .join('\n');
    let ruleFiles = '';
    if (this.ruleGroups) {
      writeFileSync(join(this.dir, 'rules.json'), JSON.stringify(this.ruleGroups));
      ruleFiles = `rule_files:\n  - ${join(this.dir, 'rules.json')}\n`;
    }
    const config = `global:\n  scrape_interval: ${this.scrapeInterval}\n  scrape_timeout: ${this.scrapeInterval}\n  evaluation_interval: 1s\n${ruleFiles}scrape_configs:\n${jobs}\n`;
    writeFileSync(join(this.dir, 'prometheus.yml'), config);
    this.proc = spawn(bin, [
      `--config.file=${join(this.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(this.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
      '--web.enable-lifecycle',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (this.logFile) {
      const log = createWriteStream(this.logFile);
      this.proc.stdout?.pipe(log);
      this.proc.stderr?.pipe(log);
    } else {
      this.proc.stdout?.resume();
      this.proc.stderr?.resume();
    }
    await waitFor(async () => {
      if (this.proc?.exitCode !== null) throw new Error(`prometheus exited with ${this.proc?.exitCode}`);
      try {
        return (await fetch(`${this.url}/-/ready`)).status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    }, { timeoutMs: 30_000, what: 'prometheus /-/ready' });
  }

  /** An instant PromQL query; throws on a query error. */
  async query(promql: string): Promise<PromSample[]> {
    const r = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await r.json()) as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success' || !body.data) throw new Error(`PromQL ${promql}: ${body.error ?? r.status}`);
    return body.data.result.map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
  }

  /** The single value of a query that aggregates to one series (undefined when it has none). */
  async scalar(promql: string): Promise<number | undefined> {
    const r = await this.query(promql);
    return r.length === 0 ? undefined : r[0].value;
  }

  /** The loaded rules as Prometheus evaluates them: name, health ("ok" once evaluated without error), last error. */
  async rules(): Promise<{ name: string; type: string; health: string; lastError?: string }[]> {
    const r = (await (await fetch(`${this.url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; type: string; health: string; lastError?: string }[] }[] } };
    return r.data.groups.flatMap((g) => g.rules);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null) {
      const done = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await done;
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
