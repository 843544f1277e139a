/**
 * What a merged call told one partition that took part in it:
 * - `handled`: the handler succeeded on a call that held this partition's messages (with others');
 *   `value` is what the call resolved to (e.g. a deferred commit every partition of it waits for);
 * - `alone`: no other partition joined in time (or the chunk was full on its own): nothing ran,
 *   the partition handles its messages itself, exactly as without merging;
 * - `failed`: the merged call failed with `error`: nothing is known of which message was at fault,
 *   so each partition handles its own messages again by itself (retries, hold, poison split, DLQ).
 */
export type MergeOutcome = { kind: 'handled'; value?: unknown } | { kind: 'alone' } | { kind: 'failed'; error: unknown };

/** Runs one handler call over the messages of several partitions (in submission order) of one topic. */
export type MergedCall<T> = (items: T[], partitions: number[]) => Promise<unknown>;

interface Member<T> {
  partition: number;
  items: T[];
  done: (outcome: MergeOutcome) => void;
}

interface Group<T> {
  members: Member<T>[];
  size: number;
  call: MergedCall<T>;
}

/**
 * One handler call for the batches of all partitions of a topic that kafkajs starts together.
 * kafkajs runs `eachBatch` once per partition of a fetch, side by side (`partitionsConsumedConcurrently`):
 * each small batch used to pay its own handler call — its own PostgreSQL statements, produce
 * request and offset commit. The chunks submitted for one topic within one event-loop turn (until
 * `setImmediate`), up to `maxItems` messages in all, are handed to the handler as one call; each
 * partition's messages keep their offset order inside it. Every partition waits for the call and
 * commits its own offset afterwards, so "commit only after the handler succeeded" holds per partition.
 */
export class PartitionMerger<T> {
  private readonly open = new Map<string, Group<T>[]>();
  /** Calls made with two or more partitions, the partitions they held, and the chunks sent back alone (for tests and benchmarks). */
  readonly stats = { merged: 0, partitions: 0, alone: 0, failed: 0 };

  constructor(private readonly maxItems: number) {}

  /**
   * Submits one partition's messages (decoded, in offset order). `call` runs the handler; the
   * first submitter's is used for the group. Never rejects: a failure is reported as `failed`.
   */
  submit(topic: string, partition: number, items: T[], call: MergedCall<T>): Promise<MergeOutcome> {
    // A full chunk gains nothing from company and would only wait for it.
    if (items.length >= this.maxItems) {
      this.stats.alone++;
      return Promise.resolve({ kind: 'alone' });
    }
    return new Promise<MergeOutcome>((done) => {
      let groups = this.open.get(topic);
      if (!groups) {
        groups = [];
        this.open.set(topic, groups);
        setImmediate(() => this.dispatch(topic));
      }
      let group = groups.find((g) => g.size + items.length <= this.maxItems);
      if (!group) {
        group = { members: [], size: 0, call };
        groups.push(group);
      }
      group.members.push({ partition, items, done });
      group.size += items.length;
    });
  }

  private dispatch(topic: string): void {
    const groups = this.open.get(topic) ?? [];
    this.open.delete(topic);
    for (const g of groups) void this.run(g);
  }

  private async run(g: Group<T>): Promise<void> {
    if (g.members.length === 1) {
      this.stats.alone++;
      g.members[0].done({ kind: 'alone' });
      return;
    }
    this.stats.merged++;
    this.stats.partitions += g.members.length;
    const items = g.members.flatMap((m) => m.items);
    let outcome: MergeOutcome;
    try {
      outcome = { kind: 'handled', value: await g.call(items, g.members.map((m) => m.partition)) };
    } catch (error) {
      this.stats.failed++;
      outcome = { kind: 'failed', error };
    }
    for (const m of g.members) m.done(outcome);
  }
}
