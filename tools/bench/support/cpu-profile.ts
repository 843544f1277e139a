import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeRow {
  name: string;
  where: string;
  category: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  /** True when only the samples inside the load window were counted (start-up and warm-up left out). */
  windowed: boolean;
  sampledMs: number;
  idleMs: number;
  busyMs: number;
  topFunctions: SelfTimeRow[];
  /** Time spent in (and below) chosen frames: what one layer of the stack costs in all. */
  layers: { layer: string; inclusiveMs: number; percent: number }[];
  categories: { category: string; selfMs: number; percent: number }[];
}

/** Where a function lives, coarse enough to read at a glance: a package, node core, V8, or our code. */
export function categoryOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return 'V8 garbage collector';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  if (url.startsWith('node:')) return 'node core';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const lib = /\/dist\/(libs|apps)\/([^/]+)\//.exec(url);
  if (lib) return `hookstream ${lib[1] === 'libs' ? 'lib' : 'app'} ${lib[2]}`;
  return 'other';
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const d = url.indexOf('/dist/');
  if (d >= 0) return url.slice(d + 1);
  return url.replace(/^file:\/\//, '');
}

/**
 * Self time per function (from the sample deltas, not hit counts) and per category, from a V8
 * .cpuprofile. `window` (µs on the monotonic clock, which V8's profile timestamps and
 * process.hrtime share on Linux) keeps only the samples taken under load.
 */
export interface Layer {
  layer: string;
  /** Matches a frame by where it is defined (`url` contains) and, optionally, its function name. */
  url: string;
  functionName?: string;
}

export function summariseCpuProfile(file: string, top = 25, window?: { fromUs: number; toUs: number }, layers: Layer[] = []): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const layerOf = (n: ProfileNode) => layers.findIndex((l) => n.callFrame.url.includes(l.url) && (!l.functionName || n.callFrame.functionName === l.functionName));
  const layerUs = layers.map(() => 0);
  const selfUs = new Map<number, number>();
  let t = p.startTime;
  let inWindow = 0;
  for (let i = 0; i < p.samples.length; i++) {
    // A sample's delta is the time since the previous sample; attribute it to the node sampled now.
    const d = p.timeDeltas[i] ?? 0;
    t += d;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    inWindow++;
    selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + Math.max(0, d));
    if (layers.length) {
      // Count a sample once per layer found on its stack, however deep (recursion, nesting).
      const hit = new Set<number>();
      for (let id: number | undefined = p.samples[i]; id !== undefined; id = parent.get(id)) {
        const node = byId.get(id);
        const li = node ? layerOf(node) : -1;
        if (li >= 0) hit.add(li);
      }
      for (const li of hit) layerUs[li] += Math.max(0, d);
    }
  }
  if (window && inWindow === 0) return summariseCpuProfile(file, top, undefined, layers);
  const fn = new Map<string, { name: string; where: string; category: string; us: number }>();
  const cat = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const category = categoryOf(url, functionName);
    total += us;
    if (category === 'idle') {
      idle += us;
      continue;
    }
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
    const key = `${functionName}@${where}`;
    const row = fn.get(key) ?? { name: functionName || '(anonymous)', where, category, us: 0 };
    row.us += us;
    fn.set(key, row);
    cat.set(category, (cat.get(category) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number) => Math.round((us / Math.max(1, busy)) * 1000) / 10;
  return {
    file,
    windowed: !!window,
    sampledMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    busyMs: Math.round(busy / 1000),
    topFunctions: [...fn.values()].sort((a, b) => b.us - a.us).slice(0, top)
      .map((r) => ({ name: r.name, where: r.where, category: r.category, selfMs: Math.round(r.us / 1000), percent: pct(r.us) })),
    layers: layers.map((l, i) => ({ layer: l.layer, inclusiveMs: Math.round(layerUs[i] / 1000), percent: pct(layerUs[i]) })).sort((a, b) => b.inclusiveMs - a.inclusiveMs),
    categories: [...cat.entries()].sort((a, b) => b[1] - a[1])
      .map(([category, us]) => ({ category, selfMs: Math.round(us / 1000), percent: pct(us) })),
  };
}
