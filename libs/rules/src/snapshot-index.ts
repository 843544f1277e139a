import { EventTypeIndex } from './event-types';

interface Versioned {
  id: string;
  accountId: string;
  enabled: boolean;
  version: number;
}

/**
 * Snapshots by id plus, per account, an EventTypeIndex of the enabled ones. Fed incrementally
 * from the compacted config topic, which may replay an older version after a newer one.
 */
export class SnapshotIndex<S extends Versioned, E extends { snapshot: S }> {
  private readonly byId = new Map<string, E>();
  private readonly byAccount = new Map<string, EventTypeIndex<E>>();

  constructor(
    private readonly toEntry: (s: S) => E,
    private readonly patternsOf: (s: S) => readonly string[],
  ) {}

  get size(): number {
    return this.byId.size;
  }

  /** Adds or replaces; returns false (and changes nothing) for a version older than the one held. */
  upsert(snapshot: S): boolean {
    const current = this.byId.get(snapshot.id);
    if (current && snapshot.version < current.snapshot.version) return false;
    if (current) this.unindex(current);
    const entry = this.toEntry(snapshot);
    this.byId.set(snapshot.id, entry);
    if (snapshot.enabled) {
      let idx = this.byAccount.get(snapshot.accountId);
      if (!idx) this.byAccount.set(snapshot.accountId, (idx = new EventTypeIndex<E>()));
      idx.add(entry, this.patternsOf(snapshot));
    }
    return true;
  }

  remove(id: string): boolean {
    const current = this.byId.get(id);
    if (!current) return false;
    this.byId.delete(id);
    this.unindex(current);
    return true;
  }

  get(id: string): S | undefined {
    return this.byId.get(id)?.snapshot;
  }

  /** Enabled entries of the account whose event-type patterns match `type`. */
  candidates(accountId: string, type: string): E[] {
    return this.byAccount.get(accountId)?.match(type) ?? [];
  }

  private unindex(entry: E): void {
    const idx = this.byAccount.get(entry.snapshot.accountId);
    if (!idx) return;
    idx.remove(entry);
    if (idx.size === 0) this.byAccount.delete(entry.snapshot.accountId);
  }
}

export function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
