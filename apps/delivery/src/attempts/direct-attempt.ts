/**
 * A first attempt made straight from the topic before the delivery has a row (see
 * `DeliveryIntakeService.take`): the Kafka record is the durable copy until the consumer
 * commits, and the consumer commits only once every such attempt is either recorded (its row
 * written once, with its outcome) or given a pending row after all. Framework-free.
 */
export type DirectSettlement = 'recorded' | 'needs-row';

export class DirectAttempt {
  /** The attempt began (no row of its own yet): it records with the first-attempt upsert. */
  started = false;
  /** The endpoint answered (or the request failed) — the HTTP part is over. */
  answered = false;
  /** It will not be sent from here (endpoint not sendable any more, circuit open): the row it gets must be due at once. */
  bounced = false;
  /** Its row turned out to exist already (another consumer had it): never sent from here. */
  dropped = false;
  private settledAs: DirectSettlement | undefined;
  private resolve!: (s: DirectSettlement) => void;
  readonly settled: Promise<DirectSettlement>;

  /** `createdAt`: the delivery's creation time, written with its row. */
  constructor(readonly createdAt: Date) {
    this.settled = new Promise<DirectSettlement>((r) => (this.resolve = r));
  }

  get settlement(): DirectSettlement | undefined {
    return this.settledAs;
  }

  settle(s: DirectSettlement): void {
    if (this.settledAs !== undefined) return;
    this.settledAs = s;
    this.resolve(s);
  }

  /** Not sent from here: the intake writes a due row for the scheduler. */
  bounce(): void {
    this.bounced = true;
    this.settle('needs-row');
  }
}

/**
 * Endpoints that answered slower than `slowMs` (or had not answered when the consumer stopped
 * waiting) take the insert-first path for `coolMs`, so a slow endpoint cannot hold its
 * partition's consumer for the wait bound batch after batch.
 */
export class SlowEndpoints {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly slowMs: number,
    private readonly coolMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  observe(endpointId: string, latencyMs: number): void {
    if (latencyMs >= this.slowMs) this.mark(endpointId);
  }

  mark(endpointId: string): void {
    this.until.set(endpointId, this.now() + this.coolMs);
  }

  isSlow(endpointId: string): boolean {
    const t = this.until.get(endpointId);
    if (t === undefined) return false;
    if (t > this.now()) return true;
    this.until.delete(endpointId);
    return false;
  }
}
