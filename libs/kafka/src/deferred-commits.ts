const DEFERRED = Symbol.for('hookstream.kafka.DeferredCommit');

/**
 * What a handler declared with `{ deferCommit: true }` returns when the messages it was given are
 * taken in but their work goes on after it returned (e.g. HTTP attempts whose outcome is written
 * later): the transport fetches on at once, and commits past those messages only once `settled`
 * resolves. A rejection hands the messages to the handler again (the partition is sought back).
 */
export class DeferredCommit {
  readonly [DEFERRED] = true;
  constructor(readonly settled: Promise<unknown>) {
    // A deferral the transport never tracks (its batch was given up for a rebalance or shutdown)
    // must not end the process as an unhandled rejection; the transport observes it separately.
    settled.catch(() => undefined);
  }
}

/** A handler's result as a deferral, if it is one (branded, so a copy of this module from another bundle counts too). */
export function asDeferred(value: unknown): DeferredCommit | undefined {
  return typeof value === 'object' && value !== null && (value as { [DEFERRED]?: unknown })[DEFERRED] === true ? (value as DeferredCommit) : undefined;
}

interface Entry {
  /** First offset of the chunk: where the partition is sought back to if its work fails. */
  first: string;
  /** The offset to commit once this chunk and every earlier one are done. */
  next: string;
  count: number;
  done: boolean;
  /** Given up (a reset, or an earlier chunk's work failed): its work commits nothing when it settles. */
  dropped: boolean;
}

export interface TrailHooks {
  /** Sends the commit of `next` (the next offset to read); resolves once the broker acknowledged it. */
  commit(next: string): Promise<void>;
  /** `count` more messages are committed, up to `next`. */
  committed(count: number, next: string): void;
  /** The commit failed: whether to send it again (a transient failure) or give the trail up (the group changed). */
  retryable(err: unknown): boolean;
  /**
   * The work of the chunk starting at `first` failed: nothing from there on is committed and the
   * partition must be read again from `first` (`dropped` messages given up).
   */
  failed(first: string, dropped: number, err: unknown): void;
}

/**
 * The chunks of one partition handed to a deferring handler and not yet committed, in offset
 * order. A chunk is done when its handler's `settled` resolved (at once, for a handler that did not
 * defer); the commit moves up to the end of the longest done prefix, so an offset is never
 * committed before the work of every message below it is done. Commits go out as the prefix grows,
 * not awaited by the batch; one that fails transiently is sent again (the newest offset) after
 * `retryMs`. Framework-free.
 */
export class PartitionTrail {
  private entries: Entry[] = [];
  /** Messages of the done prefix, and how many of them acknowledged commits covered. */
  private doneCount = 0;
  private committedCount = 0;
  /** The end of the done prefix: the offset to commit. */
  private wanted?: { next: string; count: number };
  /** Bumped by a reset: a commit answer from before it is not this trail's any more. */
  private generation = 0;
  private sending = false;
  private retryTimer?: NodeJS.Timeout;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly hooks: TrailHooks,
    private readonly retryMs = 1000,
  ) {}

  /** Messages handed to the handler and not yet committed (their work pending, or their commit). */
  get pending(): number {
    let n = this.doneCount - this.committedCount;
    for (const e of this.entries) n += e.count;
    return n;
  }

  /** Nothing pending: every chunk done and its commit acknowledged. */
  get idle(): boolean {
    return this.entries.length === 0 && this.doneCount === this.committedCount;
  }

  /** Adds the chunk `[first, next)` of `count` messages; done when `settled` resolves (at once without one). */
  add(first: string, next: string, count: number, settled?: Promise<unknown>): void {
    const entry: Entry = { first, next, count, done: settled === undefined, dropped: false };
    this.entries.push(entry);
    if (!settled) {
      this.advance();
      return;
    }
    settled.then(
      () => {
        if (entry.dropped) return;
        entry.done = true;
        this.advance();
      },
      (err: unknown) => {
        if (entry.dropped) return;
        const at = this.entries.indexOf(entry);
        const gone = this.entries.splice(at);
        for (const e of gone) e.dropped = true;
        this.hooks.failed(entry.first, gone.reduce((n, e) => n + e.count, 0), err);
        this.wake();
      },
    );
  }

  /** Gives every pending chunk up (a rebalance, a stopped consumer): their work, when it settles, commits nothing. */
  reset(): number {
    let dropped = this.doneCount - this.committedCount;
    for (const e of this.entries) {
      e.dropped = true;
      dropped += e.count;
    }
    this.entries = [];
    this.generation++;
    this.sending = false;
    this.wanted = undefined;
    this.doneCount = this.committedCount;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.wake();
    return dropped;
  }

  /** Resolves once the trail is idle, or after `ms`; answers whether it is idle. */
  async whenIdle(ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (!this.idle) {
      const left = end - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return true;
  }

  private advance(): void {
    let moved = false;
    while (this.entries.length > 0 && this.entries[0].done) {
      const e = this.entries.shift() as Entry;
      this.doneCount += e.count;
      this.wanted = { next: e.next, count: this.doneCount };
      moved = true;
    }
    if (moved) this.send();
    this.wake();
  }

  private send(): void {
    const target = this.wanted;
    if (this.sending || !target || target.count <= this.committedCount) return;
    const generation = this.generation;
    this.sending = true;
    this.hooks.commit(target.next).then(
      () => {
        if (generation !== this.generation) return;
        this.sending = false;
        this.hooks.committed(target.count - this.committedCount, target.next);
        this.committedCount = target.count;
        this.send();
        this.wake();
      },
      (err: unknown) => {
        if (generation !== this.generation) return;
        this.sending = false;
        if (!this.hooks.retryable(err)) {
          this.reset();
          return;
        }
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = undefined;
          this.send();
        }, this.retryMs);
        this.retryTimer.unref?.();
      },
    );
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
