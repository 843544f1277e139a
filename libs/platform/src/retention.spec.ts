import { metricSample } from './metrics';
import { RetentionJob } from './retention';

/** A table of `expired` rows past their expiry, deleted `limit` at a time (and a side table with two rows per row). */
function fakeTable(expired: number, overdue = 120) {
  const t = { expired, statements: 0, limits: [] as number[] };
  return {
    t,
    deleteChunk: async (limit: number) => {
      t.statements++;
      t.limits.push(limit);
      const n = Math.min(limit, t.expired);
      t.expired -= n;
      return { things: n, thing_parts: 2 * n };
    },
    overdueSeconds: async () => (t.expired > 0 ? overdue : 0),
  };
}

async function metricValue(name: string, labels: Record<string, string>, series = name): Promise<number> {
  return (await metricSample(name, labels, series)) ?? 0;
}

describe('RetentionJob', () => {
  it('deletes chunk after chunk until a chunk comes back short: no cap on chunks per run', async () => {
    // 250 full chunks and a short one: more than the 200 chunks a run used to be capped at.
    const table = fakeTable(250 * 100 + 37);
    const job = new RetentionJob({ table: 'things', intervalMs: 60_000, batch: 100, ...table });
    const before = await metricValue('hookstream_retention_deleted_rows_total', { table: 'thing_parts' });

    const run = await job.run();

    expect(run).toEqual({ deleted: { things: 25_037, thing_parts: 50_074 }, chunks: 251, overdueSeconds: 120, stopped: false });
    expect(table.t.expired).toBe(0);
    expect(new Set(table.t.limits)).toEqual(new Set([100]));
    expect(await metricValue('hookstream_retention_deleted_rows_total', { table: 'thing_parts' })).toBe(before + 50_074);
    expect(await metricValue('hookstream_retention_overdue_seconds', { table: 'things' })).toBe(120);
  });

  it('runs no statement when nothing is past expiry, and says so in the gauge', async () => {
    const table = fakeTable(0);
    const job = new RetentionJob({ table: 'idle_things', intervalMs: 60_000, batch: 100, ...table });
    expect(await job.run()).toEqual({ deleted: {}, chunks: 0, overdueSeconds: 0, stopped: false });
    expect(table.t.statements).toBe(0);
    expect(await metricValue('hookstream_retention_overdue_seconds', { table: 'idle_things' })).toBe(0);
  });

  it('a full last chunk is followed by one more statement, which finds nothing', async () => {
    const table = fakeTable(300);
    const job = new RetentionJob({ table: 'things', intervalMs: 60_000, batch: 100, ...table });
    expect((await job.run()).chunks).toBe(4);
    expect(table.t.statements).toBe(4);
  });

  it('stop() ends a run between two chunks, and the rest waits for a later run', async () => {
    const table = fakeTable(1000);
    let stopped: Promise<void> | undefined;
    const job: RetentionJob = new RetentionJob({
      table: 'things', intervalMs: 60_000, batch: 100, overdueSeconds: table.overdueSeconds,
      deleteChunk: async (limit: number) => {
        const r = await table.deleteChunk(limit);
        if (table.t.statements === 3) stopped = job.stop();
        return r;
      },
    });
    const run = await job.run();
    await stopped;
    expect(run).toMatchObject({ chunks: 3, stopped: true, deleted: { things: 300 } });
    expect(table.t.expired).toBe(700);
  });

  it('runs every interval once started, never two runs at once, and goes on after a failed run', async () => {
    jest.useFakeTimers();
    try {
      let active = 0;
      let maxActive = 0;
      let calls = 0;
      const job = new RetentionJob({
        table: 'ticking',
        intervalMs: 1000,
        batch: 10,
        overdueSeconds: async () => 5,
        deleteChunk: async () => {
          calls++;
          active++;
          maxActive = Math.max(maxActive, active);
          // Longer than the interval: the next run must wait for this one.
          await new Promise((r) => setTimeout(r, 2500));
          active--;
          if (calls === 1) throw new Error('database unavailable');
          return { ticking: 0 };
        },
      });
      job.start();
      await jest.advanceTimersByTimeAsync(999);
      expect(calls).toBe(0);
      await jest.advanceTimersByTimeAsync(1);
      expect(calls).toBe(1);
      // The first run fails at 3.5 s; the second starts an interval later, at 4.5 s.
      await jest.advanceTimersByTimeAsync(3000);
      expect(calls).toBe(1);
      await jest.advanceTimersByTimeAsync(1000);
      expect(calls).toBe(2);
      expect(await metricValue('hookstream_retention_run_duration_seconds', { table: 'ticking', result: 'failed' }, 'hookstream_retention_run_duration_seconds_count')).toBe(1);
      const stopping = job.stop();
      await jest.advanceTimersByTimeAsync(2500);
      await stopping;
      await jest.advanceTimersByTimeAsync(10_000);
      expect(calls).toBe(2);
      expect(maxActive).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
