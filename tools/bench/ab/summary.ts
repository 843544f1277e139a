/*
 * The table of an A/B of the pipeline bench (tools/bench/ab.sh): one row per run in the order they
 * ran, then per build the median and range of each figure and the ratio of B's median to A's.
 *
 *   node -r ts-node/register/transpile-only tools/bench/ab/summary.ts NAME A=LABEL B=LABEL RUN.json…
 *
 * Each RUN.json is a bench/results/<name>-<a|b>-<i>.json written by the pipeline bench; the side
 * of a run is the `-a-`/`-b-` in its file name. Writes bench/results/NAME.md and prints it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The part of a pipeline bench result (bench/results/<name>.json) this table reads. */
export interface PipelineResult {
  generatedAt?: string;
  machine: { speedProbeMs: { before: number; after: number } };
  results: Record<
    string,
    {
      capacity: { eventsPerSecond: number; deliveriesPerSecond: number };
      cpu: { totalMsPerEvent: number; perProcess: Record<string, { cpuMsPerEvent: number }> };
      latency?: Record<string, { postToSignedReceiptMs?: { p50: number; p99: number } }>;
    }
  >;
}

export interface AbRun {
  side: 'a' | 'b';
  /** 1-based position in the sequence the runs were made. */
  order: number;
  result: PipelineResult;
}

/** The processes a row shows, in pipeline order, with their short column names. */
const PROCESSES: [string, string][] = [
  ['ingest-gateway', 'gw'],
  ['validator', 'val'],
  ['enricher', 'enr'],
  ['automation', 'aut'],
  ['delivery', 'del'],
  ['projector', 'prj'],
  ['kafka broker', 'broker'],
  ['postgresql', 'pg'],
];

export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const fmt = (n: number, digits = 2): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The fan-outs every run measured (`fanout1`, `fanout10`, …), in numeric order. */
function commonFanouts(runs: AbRun[]): string[] {
  const sets = runs.map((r) => new Set(Object.keys(r.result.results).filter((k) => /^fanout\d+$/.test(k))));
  const first = sets[0] ?? new Set<string>();
  return [...first].filter((k) => sets.every((s) => s.has(k))).sort((x, y) => Number(x.slice(6)) - Number(y.slice(6)));
}

/** The first latency load point of a fan-out (the A/B default runs one: 50 %). */
function p99(run: AbRun, fanout: string): number | undefined {
  const latency = run.result.results[fanout]?.latency ?? {};
  const point = Object.keys(latency)[0];
  return point === undefined ? undefined : latency[point]?.postToSignedReceiptMs?.p99;
}

export function abSummary(runs: AbRun[], labels: { a: string; b: string }): string {
  const a = runs.filter((r) => r.side === 'a');
  const b = runs.filter((r) => r.side === 'b');
  if (a.length === 0 || b.length === 0) throw new Error(`an A/B needs runs of both builds (have ${a.length} of A, ${b.length} of B)`);
  const fanouts = commonFanouts(runs);
  if (fanouts.length === 0) throw new Error('the runs share no fan-out: were they made with the same BENCH_FANOUTS?');
  const ordered = [...runs].sort((x, y) => x.order - y.order);
  const out: string[] = [`A = ${labels.a}, B = ${labels.b}. CPU in ms per event; p99 POST → signed receipt at the first load point, in ms.`, ''];
  for (const fanout of fanouts) {
    const n = fanout.slice('fanout'.length);
    const rate = n === '1' ? 'events/s' : 'deliveries/s';
    const rateOf = (r: AbRun): number => (n === '1' ? r.result.results[fanout]!.capacity.eventsPerSecond : r.result.results[fanout]!.capacity.deliveriesPerSecond);
    const cpuOf = (r: AbRun): number => r.result.results[fanout]!.cpu.totalMsPerEvent;
    const procOf = (r: AbRun, p: string): number | undefined => r.result.results[fanout]!.cpu.perProcess[p]?.cpuMsPerEvent;
    out.push(`### Fan-out ${n}`, '');
    out.push(`| run (order) | probe (ms) | ${rate} | CPU | ${PROCESSES.map(([, s]) => s).join(' | ')} | p99 |`);
    out.push(`|---|---|---|---|${PROCESSES.map(() => '---|').join('')}---|`);
    for (const r of ordered) {
      const probe = r.result.machine.speedProbeMs;
      const procs = PROCESSES.map(([p]) => {
        const v = procOf(r, p);
        return v === undefined ? '–' : fmt(v);
      });
      const tail = p99(r, fanout);
      out.push(`| ${r.side.toUpperCase()} (${r.order}) | ${Math.round(probe.before)} / ${Math.round(probe.after)} | ${fmt(rateOf(r), 0)} | ${fmt(cpuOf(r))} | ${procs.join(' | ')} | ${tail ?? '–'} |`);
    }
    out.push('');
    out.push(`| build | runs | ${rate}: median (range) | CPU: median (range) |`, '|---|---|---|---|');
    for (const [side, rs] of [['A', a], ['B', b]] as const) {
      const rates = rs.map(rateOf);
      const cpus = rs.map(cpuOf);
      out.push(`| ${side} | ${rs.length} | ${fmt(median(rates), 0)} (${fmt(Math.min(...rates), 0)}–${fmt(Math.max(...rates), 0)}) | ${fmt(median(cpus))} (${fmt(Math.min(...cpus))}–${fmt(Math.max(...cpus))}) |`);
    }
    const rateRatio = median(b.map(rateOf)) / median(a.map(rateOf));
    const cpuRatio = median(b.map(cpuOf)) / median(a.map(cpuOf));
    out.push('', `B / A, medians: ${rate} ${fmt(rateRatio)}×, CPU per event ${fmt(cpuRatio)}×.`, '');
  }
  return out.join('\n');
}

/** The side of a result file named `<name>-<a|b>-<i>.json`. */
export function sideOf(file: string): 'a' | 'b' {
  const m = /-(a|b)-\d+\.json$/.exec(basename(file));
  if (!m) throw new Error(`${file}: not an A/B run (expected <name>-a-<i>.json or <name>-b-<i>.json)`);
  return m[1] as 'a' | 'b';
}

function main(argv: string[]): void {
  const [name, aArg, bArg, ...files] = argv;
  const label = (arg: string | undefined, side: string): string => {
    if (!arg?.startsWith(`${side}=`)) throw new Error(`usage: tools/bench/ab/summary.ts NAME A=LABEL B=LABEL RUN.json… (got ${arg ?? 'nothing'} for ${side})`);
    return arg.slice(2);
  };
  if (!name) throw new Error('usage: tools/bench/ab/summary.ts NAME A=LABEL B=LABEL RUN.json…');
  const labels = { a: label(aArg, 'A'), b: label(bArg, 'B') };
  const runs = files.map((f, i) => ({ side: sideOf(f), order: i + 1, result: JSON.parse(readFileSync(f, 'utf8')) as PipelineResult }));
  const md = `# A/B: ${name}\n\n${abSummary(runs, labels)}`;
  writeFileSync(join(__dirname, '..', '..', '..', 'bench', 'results', `${name}.md`), md);
  process.stdout.write(md);
}

if (require.main === module) main(process.argv.slice(2));
