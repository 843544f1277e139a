import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

/** What every result file notes about the machine it was measured on. */
export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  kernel: string;
  date: string;
  loadAverage: [number, number, number];
}

export function machineInfo(): MachineInfo {
  const cpuinfo = safeRead('/proc/cpuinfo');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  return {
    nproc: availableParallelism(),
    cpuModel: model,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kernel: safeRead('/proc/sys/kernel/osrelease').trim() || 'unknown',
    date: new Date().toISOString(),
    loadAverage: roundedLoad(),
  };
}

export function roundedLoad(): [number, number, number] {
  const [a, b, c] = loadavg();
  return [round2(a), round2(b), round2(c)];
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function machineJiffies(): { busy: number; total: number } {
  const line = safeRead('/proc/stat').split('\n')[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces): [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime. */
export function procStat(pid: number | string): string[] {
  const stat = safeRead(`/proc/${pid}/stat`);
  return stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ') : [];
}

/** User + system clock ticks of one process (0 once it is gone). */
export function processJiffies(pid: number): number {
  const f = procStat(pid);
  return Number(f[11] ?? 0) + Number(f[12] ?? 0);
}

/** PostgreSQL backends connected to `database` (their title names it). */
export function postgresBackends(database: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const cmdline = safeRead(`/proc/${d}/cmdline`);
    if (cmdline.startsWith('postgres:') && cmdline.includes(` ${database} `)) out.push(Number(d));
  }
  return out;
}

/**
 * A counter of the clock ticks used by the whole PostgreSQL server serving `database` (undefined
 * when no backend of it is found): the postmaster, its live children (backends, autovacuum
 * workers, WAL writer, checkpointer…) and, through the postmaster's cutime/cstime, every child
 * that has exited. Summing the backends alive when a run starts misses the connections pools open
 * as load rises and autovacuum, and subtracts those closed meanwhile (their ticks read 0 at the
 * end). On a shared server it includes the other databases' work.
 */
export function postgresServerJiffies(database: string): (() => number) | undefined {
  const backend = postgresBackends(database)[0];
  if (backend === undefined) return undefined;
  const postmaster = Number(procStat(backend)[1]);
  return () => {
    const own = procStat(postmaster);
    let ticks = [11, 12, 13, 14].reduce((a, i) => a + Number(own[i] ?? 0), 0);
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const f = procStat(d);
      if (Number(f[1]) === postmaster) ticks += Number(f[11] ?? 0) + Number(f[12] ?? 0);
    }
    return ticks;
  };
}

/** Pid of the local Kafka broker (a JVM running kafka.Kafka), to show what the broker costs. */
export function findKafkaPid(): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = safeRead(`/proc/${d}/cmdline`);
    if (cmd.includes('\0kafka.Kafka\0')) return Number(d);
  }
  return undefined;
}

/** CPU used during an interval, in cores (1.0 = one core fully busy), per watched process and machine-wide. */
export interface CpuUse {
  machineBusyCores: number;
  machineBusyPercent: number;
  processes: Record<string, number>;
  loadAverage1m: number;
}

const ticksOf = (src: number | (() => number)): number => (typeof src === 'function' ? src() : processJiffies(src));

export class CpuMeter {
  private readonly t0 = process.hrtime.bigint();
  private readonly m0 = machineJiffies();
  private readonly p0: Map<string, number>;
  private readonly self0 = process.cpuUsage();

  /** Each entry: a pid, or a counter of clock ticks (postgresServerJiffies); undefined entries are skipped. */
  constructor(private readonly pids: Record<string, number | (() => number) | undefined>) {
    this.p0 = new Map(Object.entries(pids).filter(([, p]) => p !== undefined).map(([k, p]) => [k, ticksOf(p as number | (() => number))]));
  }

  stop(): CpuUse {
    const seconds = Number(process.hrtime.bigint() - this.t0) / 1e9;
    const m1 = machineJiffies();
    const cores = availableParallelism();
    const busyFraction = (m1.busy - this.m0.busy) / Math.max(1, m1.total - this.m0.total);
    const processes: Record<string, number> = {};
    for (const [k, before] of this.p0) {
      processes[k] = round2((ticksOf(this.pids[k] as number | (() => number)) - before) / CLK_TCK / seconds);
    }
    const self = process.cpuUsage(this.self0);
    processes['autocannon (bench process)'] = round2((self.user + self.system) / 1e6 / seconds);
    return { machineBusyCores: round2(busyFraction * cores), machineBusyPercent: round2(busyFraction * 100), processes, loadAverage1m: round2(loadavg()[0]) };
  }
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * Machine-wide busy cores, sampled every `intervalMs` from /proc/stat until stopped; `coresBetween`
 * gives the mean over a part of a run, which says whether that phase was bound by the machine's CPU.
 */
export class MachineBusyTimeline {
  private readonly samples: { at: number; busy: number; total: number }[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly cores = availableParallelism();
  constructor(intervalMs = 500) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }
  private sample(): void {
    this.samples.push({ at: Date.now(), ...machineJiffies() });
  }
  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
  /** Mean busy cores between two epoch-ms times, over the samples taken inside them (null: fewer than two). */
  coresBetween(from: number, to: number): number | null {
    const inside = this.samples.filter((s) => s.at >= from && s.at <= to);
    const a = inside[0];
    const b = inside[inside.length - 1];
    if (!a || !b || b.total <= a.total) return null;
    return round2(((b.busy - a.busy) / (b.total - a.total)) * this.cores);
  }
}

/** Machine-wide busy share over `ms`, from /proc/stat. */
export async function busyPercentOver(ms: number): Promise<number> {
  const a = machineJiffies();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineJiffies();
  return round2(((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 100);
}

/**
 * Waits (bounded) until the machine is quiet — other builds, tests or benches on a shared
 * machine skew every figure. Returns the last busy share seen; never fails, the caller notes it.
 */
export async function waitForQuiet(opts: { maxSeconds: number; busyPercent: number; say: (m: string) => void }): Promise<{ waitedSeconds: number; busyPercent: number }> {
  const t0 = Date.now();
  let quietInARow = 0;
  let busy = 100;
  let told = false;
  while ((Date.now() - t0) / 1000 < opts.maxSeconds) {
    busy = await busyPercentOver(2000);
    quietInARow = busy <= opts.busyPercent ? quietInARow + 1 : 0;
    if (quietInARow >= 2) break;
    if (!told) {
      opts.say(`machine is ${busy} % busy with other work; waiting up to ${opts.maxSeconds} s for it to settle below ${opts.busyPercent} %`);
      told = true;
    }
  }
  return { waitedSeconds: Math.round((Date.now() - t0) / 1000), busyPercent: busy };
}

/**
 * How fast this machine runs one fixed single-threaded workload right now (the pipeline's kind of
 * work: JSON parse/stringify of ~1 KB events and HMAC-SHA256), the median of 5 rounds, in ms.
 * On a shared VM the same machine kind runs it at different speeds from hour to hour; two results
 * are comparable only when their probes are close (bench/README.md, "Machine speed").
 */
export function speedProbeMs(): number {
  const event = { id: 'evt_0', type: 'purchase', person: { email: 'buyer@example.com', firstName: 'Ada', lastName: 'Lovelace' }, product: { name: 'Widget', price: 19.99 }, note: 'x'.repeat(700) };
  const key = Buffer.alloc(32, 7);
  const round = (): number => {
    const t0 = performance.now();
    let sink = 0;
    for (let i = 0; i < 20_000; i++) {
      event.id = `evt_${i}`;
      const text = JSON.stringify(event);
      const back = JSON.parse(text) as { id: string };
      sink += back.id.length + createHmac('sha256', key).update(text).digest()[0]!;
    }
    if (sink < 0) throw new Error('unreachable');
    return performance.now() - t0;
  };
  round();
  const rounds = Array.from({ length: 5 }, round).sort((a, b) => a - b);
  return Math.round(rounds[2]! * 10) / 10;
}

/**
 * Hookstream apps already running on this machine (`dist/apps/<app>/src/main.js` processes, from
 * `npm start`, a test run, or a bench that was killed and left its pipeline behind): pid and app.
 * An idle pipeline passes `waitForQuiet`, yet its consumers, the broker's work for them and its
 * config followers take CPU during a run — one left behind made a run read 5–10× slower.
 */
export function otherHookstreamApps(): { pid: number; app: string }[] {
  const found: { pid: number; app: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmd = safeRead(`/proc/${entry}/cmdline`).split('\0').join(' ');
    const m = /dist\/apps\/([a-z-]+)\/src\/main\.js/.exec(cmd);
    if (m) found.push({ pid: Number(entry), app: m[1] as string });
  }
  return found;
}
