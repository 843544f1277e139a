export interface StatementBatcherOptions<I, O> {
  /** Runs one statement for the whole batch; the answer is aligned with the items. */
  run: (items: I[]) => Promise<O[]>;
  /** Items per statement. */
  maxBatch: number;
  /** Statements in flight at once (each holds a pool connection). */
  maxConcurrent: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for per-attempt writes: callers `add` one item and await its own answer, while
 * the items that arrive during a statement's round trip go out together as the next statement.
 * At low load each item is written at once (the flush runs on the next tick); under load the
 * statement count grows with the round trip, not with the attempt rate.
 */
export class StatementBatcher<I, O> {
  private queue: Waiting<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly opts: StatementBatcherOptions<I, O>) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.opts.maxConcurrent) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < this.opts.maxConcurrent) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight++;
      void this.execute(batch);
    }
  }

  private async execute(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const out = await this.opts.run(batch.map((w) => w.item));
      if (out.length !== batch.length) throw new Error(`statement answered ${out.length} result(s) for ${batch.length} item(s)`);
      batch.forEach((w, i) => w.resolve(out[i]));
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.inFlight--;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
