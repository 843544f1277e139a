/** One consumer's way to commit offsets (kafkajs' `commitOffsetsIfNecessary(offsets)` of any of its batches). */
export type CommitOffsets = (offsets: { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }) => Promise<void>;

interface Pending {
  topic: string;
  partition: number;
  offset: string;
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
}

interface ConsumerCommits {
  commit: CommitOffsets;
  queued: Map<string, Pending>;
  inFlight: boolean;
  scheduled: boolean;
  /** When this consumer's last commit request was sent (performance.now()). */
  lastSentAt: number;
  timer?: NodeJS.Timeout;
  /** Closing: commits go out without waiting for the interval. */
  hurry: boolean;
}

/**
 * Group commit for consumer offsets. The partitions of one fetch are handled side by side, and
 * each used to send its own OffsetCommit: the broker answers a connection's requests one at a
 * time, so with six partitions the last one waited for six commits before the next fetch. Here a
 * consumer has at most one commit request in flight; commits asked for meanwhile wait and go out
 * together as the next request (as the producer does with sends). Each caller still awaits the
 * request that carries its offset, so "commit only after the handler succeeded" holds as before.
 */
export class CommitCoalescer {
  private readonly consumers = new WeakMap<object, ConsumerCommits>();
  /** Requests sent and offsets they carried (for tests and benchmarks). */
  readonly stats = { requests: 0, offsets: 0 };

  /**
   * @param intervalMs least time between two commit requests of one consumer: commits asked for
   * sooner wait for the next one (0: as soon as the previous request is answered).
   */
  constructor(private readonly intervalMs = 0) {}

  /**
   * Commits `offset` (the next offset to read) of one partition for `consumer`, in the next request
   * of that consumer; `commit` sends a request (the latest caller's is used). Resolves once the
   * broker acknowledged the request that carried it.
   */
  commit(consumer: object, commit: CommitOffsets, topic: string, partition: number, offset: string): Promise<void> {
    let c = this.consumers.get(consumer);
    if (!c) {
      c = { commit, queued: new Map(), inFlight: false, scheduled: false, lastSentAt: -Infinity, hurry: false };
      this.consumers.set(consumer, c);
    }
    c.commit = commit;
    const state = c;
    return new Promise<void>((resolve, reject) => {
      const key = `${topic}\u0000${partition}`;
      const p = state.queued.get(key);
      if (!p) state.queued.set(key, { topic, partition, offset, waiters: [{ resolve, reject }] });
      else {
        // Never move a partition's commit backwards within one request.
        if (BigInt(offset) > BigInt(p.offset)) p.offset = offset;
        p.waiters.push({ resolve, reject });
      }
      this.schedule(state);
    });
  }

  private schedule(c: ConsumerCommits): void {
    if (c.inFlight || c.scheduled || c.queued.size === 0) return;
    c.scheduled = true;
    const wait = c.hurry ? 0 : c.lastSentAt + this.intervalMs - performance.now();
    if (wait > 0) {
      c.timer = setTimeout(() => this.fire(c), wait);
      // A closing transport hurries its commits out; nothing else needs the process kept alive for them.
      c.timer.unref();
      return;
    }
    // The next turn of the event loop, so commits that become ready together share the request.
    setImmediate(() => {
      c.scheduled = false;
      void this.send(c);
    });
  }

  /** From now on, `consumer`'s commits go out without waiting for the interval (it is closing). */
  hurry(consumer: object): void {
    const c = this.consumers.get(consumer);
    if (!c) return;
    c.hurry = true;
    if (c.timer) this.fire(c);
  }

  /** Sends the commits a timer held back for the interval, now. */
  private fire(c: ConsumerCommits): void {
    clearTimeout(c.timer);
    c.timer = undefined;
    c.scheduled = false;
    void this.send(c);
  }

  private async send(c: ConsumerCommits): Promise<void> {
    if (c.inFlight || c.queued.size === 0) return;
    const entries = [...c.queued.values()];
    c.queued.clear();
    c.inFlight = true;
    c.lastSentAt = performance.now();
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const e of entries) {
      const parts = byTopic.get(e.topic) ?? [];
      parts.push({ partition: e.partition, offset: e.offset });
      byTopic.set(e.topic, parts);
    }
    this.stats.requests++;
    this.stats.offsets += entries.length;
    try {
      await c.commit({ topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
      for (const e of entries) for (const w of e.waiters) w.resolve();
    } catch (err) {
      for (const e of entries) for (const w of e.waiters) w.reject(err);
    } finally {
      c.inFlight = false;
      this.schedule(c);
    }
  }
}

/**
 * The offset commits of one batch (one partition). Each handled message's commit is sent at once
 * but not awaited, so the next handler overlaps its round trip; `settle()` waits for the newest
 * one, which covers every earlier offset of the partition (the coalescer keeps one request in flight
 * per consumer, in order, and never moves a partition's commit backwards). A failed commit sets
 * `failed`; `settle()` then sends the newest offset again and rejects with the error, so the caller
 * can hold (transient) or give the batch up (group change) before handling anything more.
 */
export class PartitionCommits {
  private newest?: { offset: string; handled: number; promise: Promise<void> };
  /** Messages handled in this batch, and how many of them the acknowledged commits covered. */
  private handled = 0;
  private reported = 0;
  failed = false;

  constructor(
    private readonly send: (offset: string) => Promise<void>,
    private readonly onCommitted: (count: number, offset: string) => void,
  ) {}

  /** Sends the commit of `offset` (the next offset to read) after `count` more messages were handled. */
  issue(offset: string, count: number): void {
    this.handled += count;
    this.start(offset);
  }

  private start(offset: string): void {
    const handled = this.handled;
    const promise = this.send(offset);
    this.newest = { offset, handled, promise };
    promise.then(
      () => {
        if (handled > this.reported) {
          this.onCommitted(handled - this.reported, offset);
          this.reported = handled;
        }
      },
      () => {
        this.failed = true;
      },
    );
  }

  /** Waits for the newest commit on the wire to land or fail, without sending anything again. */
  async drain(): Promise<void> {
    await this.newest?.promise.catch(() => undefined);
  }

  /** Resolves once the newest offset is committed; a failure rejects, and the next call sends that offset again. */
  async settle(): Promise<void> {
    const n = this.newest;
    if (!n) return;
    if (this.failed) {
      this.failed = false;
      this.start(n.offset);
    }
    const current = this.newest as { promise: Promise<void> };
    try {
      await current.promise;
    } catch (err) {
      this.failed = true;
      throw err;
    }
  }
}
