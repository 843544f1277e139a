/*
 * An on-CPU profile of the whole machine, taken with Linux perf (`perf record -a -g`), for the
 * pipeline bench's BENCH_PERF.
 *
 * Why not only V8's --cpu-prof: V8 samples its thread on a wall-clock timer, so a thread that waits
 * for a CPU is recorded where it stopped. On a machine whose two cores are shared by nine busy
 * processes that is mostly a socket write that woke another process (a loopback write hands the CPU
 * to the reader): the gateway's V8 profile gave `writeBuffer` 38 % of its samples, while perf found
 * the kernel at ~12 % of the whole machine (bench/README.md, "Session 31"). perf samples only what
 * runs, in every process at once: the seven apps, the broker's JVM, PostgreSQL's backends and the
 * kernel, at the same rate, so their shares add up.
 *
 * The apps run with --perf-basic-prof-only-functions (PERF_NODE_FLAGS) so that perf can name their
 * JavaScript frames (V8 writes /tmp/perf-<pid>.map); the broker's JIT frames stay unnamed (they count
 * in its total).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';

/** Node flags under which perf can name an app's JavaScript functions. */
export const PERF_NODE_FLAGS = ['--perf-basic-prof-only-functions'];
/** Samples per second and CPU: prime, so that it does not beat with 10 ms timers. */
export const PERF_HZ = 299;

/** Why perf cannot record the whole machine here, or null when it can. */
export function perfUnavailable(): string | null {
  const version = spawnSync('perf', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) return 'Linux perf is not installed (Debian: apt-get install linux-perf)';
  const probe = spawnSync('perf', ['record', '-a', '-F', String(PERF_HZ), '-o', '/dev/null', '--', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    return `perf cannot sample every process (${(probe.stderr || '').split('\n').find((l) => l.trim()) ?? `exit ${probe.status}`}): run the bench as root, or lower kernel.perf_event_paranoid to -1`;
  }
  return null;
}

/** A `perf record -a -g` of the whole machine, from start() until stop(). */
export class PerfRecording {
  private readonly startedAt = Date.now();
  private stderr = '';
  private readonly exited: Promise<number | null>;
  /** A bench that fails or exits mid-run must not leave perf recording the machine. */
  private readonly onExit = () => this.proc.kill('SIGINT');

  private constructor(private readonly proc: ChildProcess, readonly file: string) {
    this.proc.stderr?.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
    process.once('exit', this.onExit);
  }

  static start(file: string): PerfRecording {
    return new PerfRecording(spawn('perf', ['record', '-a', '-g', '-F', String(PERF_HZ), '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] }), file);
  }

  /** Stops the recording (perf writes its file on SIGINT) and returns how long it ran, in seconds. */
  async stop(): Promise<number> {
    const seconds = (Date.now() - this.startedAt) / 1000;
    process.removeListener('exit', this.onExit);
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGINT');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 30_000);
    const code = await this.exited;
    clearTimeout(timer);
    if (!existsSync(this.file)) throw new Error(`perf record wrote no ${this.file} (exit ${code}): ${this.stderr.trim()}`);
    return seconds;
  }
}

export interface PerfGroup {
  group: string;
  samples: number;
  /** CPUs' worth of time this group ran (samples ÷ rate ÷ seconds). */
  cores: number;
  /** Share of all samples, idle included. */
  sharePercent: number;
  /** Of this group's samples, those whose innermost frame was in the kernel (system calls, the network stack, page faults). */
  kernelPercent: number;
  /** Functions under which most of the group's samples fell (inclusive), leaving out those in most of them (main, the event loop). */
  top: { name: string; percent: number }[];
}

export interface PerfSummary {
  file: string;
  seconds: number;
  hz: number;
  cpus: number;
  samples: number;
  /** Share of the samples in which a CPU was idle. */
  idlePercent: number;
  groups: PerfGroup[];
  /** Where the apps' samples went, all apps together: share of the apps' samples by the innermost package, our library or app code on the stack. */
  appCategories: { category: string; percent: number }[];
  /** The same per app, its five largest. */
  perApp: Record<string, { category: string; percent: number }[]>;
}

/**
 * Where one sample of a Node app belongs: the innermost frame that names a package (`kafkajs`, `pg`),
 * one of our libraries (`@hookstream/kafka`) or the app's own code; node's own JavaScript; or,
 * below no JavaScript at all, V8's garbage collector, its compilers, or other native work (the event
 * loop, microtask machinery, the kernel).
 */
export function sampleCategory(frames: readonly string[]): string {
  let nodeCore = false;
  for (const f of frames) {
    const nm = f.lastIndexOf('/node_modules/');
    if (nm >= 0) {
      const rest = f.slice(nm + '/node_modules/'.length).split('/');
      return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? 'node_modules');
    }
    const ours = /\/dist\/(libs|apps)\/([^/]+)\//.exec(f);
    if (ours) return ours[1] === 'libs' ? `@hookstream/${ours[2]}` : 'app code';
    if (!nodeCore && / node:[a-z_/]+:\d+/.test(f)) nodeCore = true;
  }
  if (nodeCore) return 'node core (JavaScript)';
  if (frames.some((f) => /Scavenge|MarkCompact|ConcurrentMarking|Sweeper|Heap::|MinorMS|GCTracer/.test(f))) return 'V8 garbage collector';
  if (frames.some((f) => /compiler::|Compil|Maglev|Turbofan|Baseline/.test(f))) return 'V8 compilers';
  return 'other native (event loop, V8 runtime, kernel)';
}

/**
 * One sample as `perf script -F comm,pid,ip,sym` prints it: a "<comm> <pid>" line, then one
 * "\t<address> <symbol>" line per frame, innermost first. Kernel frames are kept as "[k] <symbol>".
 */
export interface Sample { pid: number; comm: string; frames: string[]; ips: number[]; kernelLeaf: boolean }

function samplesOf(file: string): AsyncGenerator<Sample> {
  const proc = spawn('perf', ['script', '-i', file, '-F', 'comm,pid,ip,sym'], { stdio: ['ignore', 'pipe', 'ignore'] });
  return parsePerfScript(createInterface({ input: proc.stdout as NodeJS.ReadableStream, crlfDelay: Infinity }));
}

/** The samples in `perf script -F comm,pid,ip,sym` output (a command may contain spaces; the pid is the header's last field). */
export async function* parsePerfScript(lines: AsyncIterable<string> | Iterable<string>): AsyncGenerator<Sample> {
  let cur: Sample | null = null;
  for await (const line of lines) {
    if (line.length === 0) {
      if (cur) yield cur;
      cur = null;
    } else if (line.startsWith('\t') || line.startsWith(' ')) {
      if (!cur) continue;
      const t = line.trim();
      const sp = t.indexOf(' ');
      const kernel = /^ffffffff/.test(t);
      if (cur.frames.length === 0) cur.kernelLeaf = kernel;
      cur.frames.push(`${kernel ? '[k] ' : ''}${sp < 0 ? t : t.slice(sp + 1)}`);
      cur.ips.push(kernel ? 0 : parseInt(sp < 0 ? t : t.slice(0, sp), 16));
    } else {
      const parts = line.trim().split(/\s+/);
      cur = { pid: Number(parts[parts.length - 1]), comm: parts.slice(0, -1).join(' '), frames: [], ips: [], kernelLeaf: false };
    }
  }
  if (cur) yield cur;
}

const pct = (n: number, of: number) => Math.round((n / Math.max(1, of)) * 1000) / 10;

/**
 * Reads a recording back. `groupOf` names a sample's process group (an app, `kafka broker`,
 * `postgresql`…) from its pid and command, or returns null for "other processes"; `apps` are the
 * groups whose samples are Node apps (categorised by package).
 */
export async function summarisePerf(file: string, seconds: number, groupOf: (pid: number, comm: string) => string | null, apps: readonly string[], maps: ReadonlyMap<number, PerfMap> = new Map()): Promise<PerfSummary> {
  const cpuCount = cpus().length;
  let total = 0;
  let idle = 0;
  const groups = new Map<string, { samples: number; kernel: number; inclusive: Map<string, number> }>();
  const appCats = new Map<string, number>();
  const perAppCats = new Map<string, Map<string, number>>();
  let appSamples = 0;
  for await (const s of samplesOf(file)) {
    total++;
    if (s.pid === 0) {
      idle++;
      continue;
    }
    const map = maps.get(s.pid);
    if (map) for (let i = 0; i < s.frames.length; i++) s.frames[i] = perfMapLookup(map, s.ips[i] as number) ?? (s.frames[i] as string);
    const name = groupOf(s.pid, s.comm) ?? 'other processes';
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { samples: 0, kernel: 0, inclusive: new Map() }));
    g.samples++;
    if (s.kernelLeaf) g.kernel++;
    const isApp = apps.includes(name);
    for (const f of new Set(s.frames)) {
      // The "under" column names code: an app's JavaScript functions, any other process's own functions (the kernel has its own column).
      if (f === '[unknown]' || /^0x[0-9a-f]+$/.test(f) || f.startsWith('[k] ') || (isApp && !f.startsWith('JS:'))) continue;
      g.inclusive.set(f, (g.inclusive.get(f) ?? 0) + 1);
    }
    if (isApp) {
      const c = sampleCategory(s.frames);
      appSamples++;
      appCats.set(c, (appCats.get(c) ?? 0) + 1);
      let m = perAppCats.get(name);
      if (!m) perAppCats.set(name, (m = new Map()));
      m.set(c, (m.get(c) ?? 0) + 1);
    }
  }
  if (total === 0) throw new Error(`perf recorded no samples in ${file}`);
  const ranked = (m: Map<string, number>, of: number, n: number) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([category, v]) => ({ category, percent: pct(v, of) }));
  return {
    file,
    seconds: Math.round(seconds * 10) / 10,
    hz: PERF_HZ,
    cpus: cpuCount,
    samples: total,
    idlePercent: pct(idle, total),
    groups: [...groups.entries()]
      .sort((a, b) => b[1].samples - a[1].samples)
      .map(([group, g]) => ({
        group,
        samples: g.samples,
        cores: Math.round((g.samples / PERF_HZ / Math.max(0.001, seconds)) * 100) / 100,
        sharePercent: pct(g.samples, total),
        kernelPercent: pct(g.kernel, g.samples),
        top: [...g.inclusive.entries()]
          .filter(([, v]) => v < g.samples * 0.6)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 6)
          .map(([name, v]) => ({ name: shortFrame(name), percent: pct(v, g.samples) })),
      })),
    appCategories: ranked(appCats, appSamples, 14),
    perApp: Object.fromEntries([...perAppCats.entries()].map(([app, m]) => [app, ranked(m, [...m.values()].reduce((a, b) => a + b, 0), 5)])),
  };
}

/** A JIT frame's name without V8's tier marker and the checkout's path. */
function shortFrame(f: string): string {
  return f
    .replace(/^JS:[*+^~']*/, '')
    .replace(/\S*\/node_modules\//, '')
    .replace(/\S*\/dist\//, '')
    .slice(0, 90);
}

/**
 * Asks a JVM (the broker) to write /tmp/perf-<pid>.map now (JDK 17+'s `jcmd <pid> Compiler.perfmap`),
 * so that `perf script` names its JIT-compiled Java methods; without a JDK they stay unnamed.
 */
export function writeJvmPerfMap(pid: number | undefined): boolean {
  if (!pid) return false;
  const r = spawnSync('jcmd', [String(pid), 'Compiler.perfmap'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 && existsSync(`/tmp/perf-${pid}.map`);
}

/**
 * A process's perf map with one name per address: the latest. V8 appends a line ("<start> <size>
 * <name>", hex) for every function it compiles and reuses the memory of code it dropped, so a
 * long-running app's map holds several names for one address, and perf picks one of them without
 * regard to time: it named delivery's batch JSON building `arrayString` (a pg function delivery
 * hardly runs) in session 31's first recordings. The latest line is the code that ran there last;
 * read right after a run, that is the run's code. (The file is only read: V8 goes on writing it.)
 */
export interface PerfMap { starts: number[]; ends: number[]; names: string[] }

export function readPerfMap(pid: number): PerfMap | null {
  const file = `/tmp/perf-${pid}.map`;
  return existsSync(file) ? latestPerfMap(readFileSync(file, 'utf8').split('\n')) : null;
}

/** The entries of a perf map's lines that no later line overlaps, sorted by address (malformed lines, such as one V8 is still writing, are skipped). */
export function latestPerfMap(lines: readonly string[]): PerfMap {
  const entries: { start: number; end: number; name: string }[] = [];
  for (const line of lines) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.+)$/.exec(line);
    if (!m) continue;
    const start = parseInt(m[1] as string, 16);
    entries.push({ start, end: start + parseInt(m[2] as string, 16), name: m[3] as string });
  }
  // Latest first; an entry is kept when no later one overlaps it. `kept` stays sorted by start.
  const kept: typeof entries = [];
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i] as (typeof entries)[number];
    const at = firstStartingAtOrAfter(kept, e.start);
    const before = kept[at - 1];
    const after = kept[at];
    if ((before && before.end > e.start) || (after && after.start < e.end)) continue;
    kept.splice(at, 0, e);
  }
  return { starts: kept.map((e) => e.start), ends: kept.map((e) => e.end), names: kept.map((e) => e.name) };
}

function firstStartingAtOrAfter(sorted: readonly { start: number }[], at: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as { start: number }).start < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The name of the code at `ip`, or undefined when no entry covers it (native code, the kernel). */
export function perfMapLookup(map: PerfMap, ip: number): string | undefined {
  let lo = 0;
  let hi = map.starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((map.starts[mid] as number) <= ip) lo = mid + 1;
    else hi = mid;
  }
  const i = lo - 1;
  return i >= 0 && ip < (map.ends[i] as number) ? map.names[i] : undefined;
}

/**
 * Removes the perf maps of processes that have exited (V8 and jcmd write them to /tmp, a few MB
 * per app and run). Those of live processes stay, so a kept recording can be read again with
 * `perf report -i` until its apps' next run.
 */
export function removeStalePerfMaps(): void {
  for (const f of readdirSync('/tmp')) {
    const m = /^perf-(\d+)\.map$/.exec(f);
    if (m && !existsSync(`/proc/${m[1]}`)) rmSync(`/tmp/${f}`, { force: true });
  }
}

export function perfMarkdown(title: string, s: PerfSummary): string {
  const lines = [
    `### ${title}`,
    '',
    `perf, ${s.hz} samples per second per CPU, every process, ${s.seconds} s, ${s.cpus} CPUs: ${s.samples} samples, **${s.idlePercent} % idle**. Recording: \`${s.file}\` (not kept in git).`,
    '',
    '| process | cores | share of the machine | of which kernel | under (inclusive, share of the process) |',
    '|---|---|---|---|---|',
    ...s.groups.map((g) => `| ${g.group} | ${g.cores} | ${g.sharePercent} % | ${g.kernelPercent} % | ${g.top.map((t) => `${t.name.replace(/\|/g, '\\|')} ${t.percent} %`).join(', ')} |`),
    '',
    'The apps\' samples by the innermost package, library or app code on their stack (so a socket write kafkajs asked for counts as kafkajs):',
    '',
    '| category | share of the apps\' samples |',
    '|---|---|',
    ...s.appCategories.map((c) => `| ${c.category} | ${c.percent} % |`),
    '',
    ...Object.entries(s.perApp).map(([app, cats]) => `- ${app}: ${cats.map((c) => `${c.category} ${c.percent} %`).join(', ')}`),
    '',
  ];
  return lines.join('\n');
}
