import { abSummary, median, sideOf, type AbRun, type PipelineResult } from './summary';

function result(eventsPerSecond: number, cpu: number, fanouts: number[] = [1], probe = 125): PipelineResult {
  const results: PipelineResult['results'] = {};
  for (const f of fanouts) {
    results[`fanout${f}`] = {
      capacity: { eventsPerSecond, deliveriesPerSecond: eventsPerSecond * f },
      cpu: { totalMsPerEvent: cpu, perProcess: { delivery: { cpuMsPerEvent: cpu / 5 }, 'kafka broker': { cpuMsPerEvent: 0.1 } } },
      latency: { '50%': { postToSignedReceiptMs: { p50: 70, p99: 180 + f } } },
    };
  }
  return { machine: { speedProbeMs: { before: probe, after: probe + 10 } }, results };
}

const run = (side: 'a' | 'b', order: number, r: PipelineResult): AbRun => ({ side, order, result: r });

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow('median of no values');
  });
});

describe('sideOf', () => {
  it('reads the side from <name>-<a|b>-<i>.json', () => {
    expect(sideOf('bench/results/ab-a-1.json')).toBe('a');
    expect(sideOf('/x/s26-broker-b-12.json')).toBe('b');
    expect(() => sideOf('bench/results/ab-warmup.json')).toThrow('not an A/B run');
  });
});

describe('abSummary', () => {
  const runs = [
    run('a', 1, result(1500, 1.1)),
    run('b', 2, result(1800, 0.9, [1], 190)),
    run('a', 3, result(1600, 1.0)),
    run('b', 4, result(1700, 0.95)),
    run('a', 5, result(1400, 1.2)),
    run('b', 6, result(2000, 0.8)),
  ];
  const md = abSummary(runs, { a: 'main (abc1234)', b: 'this checkout' });

  it('lists every run in the order it ran, with its side, probe, capacity, CPU and per-process CPU', () => {
    const rows = md.split('\n').filter((l) => /^\| [AB] \(\d\)/.test(l));
    expect(rows.map((l) => l.slice(0, 7))).toEqual(['| A (1)', '| B (2)', '| A (3)', '| B (4)', '| A (5)', '| B (6)']);
    expect(rows[1]).toBe('| B (2) | 190 / 200 | 1,800 | 0.90 | – | – | – | – | 0.18 | – | 0.10 | – | 181 |');
  });

  it('gives each build its median and range, and the ratio of the medians', () => {
    expect(md).toContain('| A | 3 | 1,500 (1,400–1,600) | 1.10 (1.00–1.20) |');
    expect(md).toContain('| B | 3 | 1,800 (1,700–2,000) | 0.90 (0.80–0.95) |');
    expect(md).toContain('B / A, medians: events/s 1.20×, CPU per event 0.82×.');
  });

  it('reports deliveries/s for a fan-out above 1, each fan-out in its own table', () => {
    const two = abSummary([run('a', 1, result(400, 4, [1, 10])), run('b', 2, result(500, 3, [1, 10]))], { a: 'x', b: 'y' });
    expect(two.indexOf('### Fan-out 1')).toBeLessThan(two.indexOf('### Fan-out 10'));
    expect(two).toContain('| A | 1 | 4,000 (4,000–4,000) | 4.00 (4.00–4.00) |');
    expect(two).toContain('B / A, medians: deliveries/s 1.25×, CPU per event 0.75×.');
  });

  it('refuses runs of one build only, or runs with no fan-out in common', () => {
    expect(() => abSummary([run('a', 1, result(1, 1))], { a: 'x', b: 'y' })).toThrow('runs of both builds (have 1 of A, 0 of B)');
    expect(() => abSummary([run('a', 1, result(1, 1, [1])), run('b', 2, result(1, 1, [10]))], { a: 'x', b: 'y' })).toThrow('share no fan-out');
  });
});
