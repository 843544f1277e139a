import { Logger } from '@nestjs/common';
import { errorMessage } from '@hookstream/contracts';
import { counter, gauge, histogram } from './metrics';

const metrics = () => ({
  deleted: counter<'table'>({
    name: 'hookstream_retention_deleted_rows_total',
    help: 'Rows deleted by retention because they were past their expiry (dedupe_keys, deliveries, delivery_attempts)',
    labelNames: ['table'],
  }),
  overdue: gauge<'table'>({
    name: 'hookstream_retention_overdue_seconds',
    help: 'At the start of the latest retention run: how long the oldest row had been past its expiry (0: nothing was). Stays below the run interval while retention keeps up',
    labelNames: ['table'],
  }),
  runs: histogram<'table' | 'result'>({
    name: 'hookstream_retention_run_duration_seconds',
    help: 'Retention runs, each deleting chunk after chunk until nothing past expiry is left (result: done, stopped at shutdown, failed)',
    labelNames: ['table', 'result'],
    buckets: [0.01, 0.1, 1, 10, 60, 300, 1800],
  }),
});

export interface RetentionJobOptions {
  /** The table whose rows `deleteChunk` deletes: the metric label, and the name in logs. */
  table: string;
  /** Milliseconds between the end of one run and the start of the next. */
  intervalMs: number;
  /** Rows per statement: each chunk is one short transaction. */
  batch: number;
  /**
   * Deletes up to `limit` expired rows of `table` in one statement. Returns the rows deleted per
   * table (`table` itself, plus any table deleted with it). Fewer than `limit` of `table`: caught up.
   */
  deleteChunk: (limit: number) => Promise<Record<string, number>>;
  /** Seconds the oldest row has been past its expiry, 0 when none is (read from an index). */
  overdueSeconds: () => Promise<number>;
}

export interface RetentionRun {
  /** Rows deleted per table. */
  deleted: Record<string, number>;
  chunks: number;
  /** The oldest row's time past its expiry when the run started (seconds). */
  overdueSeconds: number;
  /** The run ended at shutdown, before it caught up. */
  stopped: boolean;
}

/**
 * Deletes rows past their expiry, every `intervalMs`: each run deletes chunk after chunk until a
 * chunk comes back short, so retention keeps up with any write rate (a fixed number of chunks per
 * run caps it: 20 × 10,000 keys per 5 minutes is 667 keys/s, below a busy source's rate, and the
 * table grows without bound). Runs never overlap; shutdown ends a run between two chunks. Every
 * replica may run it: the chunk statements skip rows another replica holds.
 */
export class RetentionJob {
  private readonly log: Logger;
  private readonly m = metrics();
  private timer?: NodeJS.Timeout;
  private current?: Promise<unknown>;
  private stopping = false;

  constructor(private readonly opts: RetentionJobOptions) {
    this.log = new Logger(`Retention(${opts.table})`);
  }

  start(): void {
    this.stopping = false;
    this.schedule();
  }

  /** Ends the current run after its chunk in flight, and runs no more. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.current;
  }

  private schedule(): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.current = this.run()
        .catch((err: unknown) => this.log.warn(`retention of ${this.opts.table} failed, retried in ${this.opts.intervalMs} ms: ${errorMessage(err)}`))
        .finally(() => this.schedule());
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** One run: deletes until nothing past expiry is left (or shutdown). Throws what a statement threw. */
  async run(): Promise<RetentionRun> {
    const { table, batch } = this.opts;
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const result: RetentionRun = { deleted: {}, chunks: 0, overdueSeconds: 0, stopped: false };
    try {
      result.overdueSeconds = Math.max(0, await this.opts.overdueSeconds());
      this.m.overdue.set({ table }, result.overdueSeconds);
      while (result.overdueSeconds > 0) {
        if (this.stopping) {
          result.stopped = true;
          break;
        }
        const deleted = await this.opts.deleteChunk(batch);
        result.chunks++;
        for (const [t, n] of Object.entries(deleted)) {
          result.deleted[t] = (result.deleted[t] ?? 0) + n;
          if (n > 0) this.m.deleted.inc({ table: t }, n);
        }
        if ((deleted[table] ?? 0) < batch) break;
      }
    } catch (err) {
      this.m.runs.observe({ table, result: 'failed' }, seconds());
      throw err;
    }
    this.m.runs.observe({ table, result: result.stopped ? 'stopped' : 'done' }, seconds());
    const total = Object.entries(result.deleted).filter(([, n]) => n > 0).map(([t, n]) => `${n} from ${t}`).join(', ');
    if (total) {
      this.log.log(`deleted ${total} in ${result.chunks} chunk(s), ${seconds().toFixed(1)} s; the oldest had been expired ${Math.round(result.overdueSeconds)} s${result.stopped ? '; stopped at shutdown, the rest waits for the next run' : ''}`);
    }
    return result;
  }
}
