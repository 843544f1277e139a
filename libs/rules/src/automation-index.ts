import type { AutomationSnapshot, CanonicalEvent } from '@hookstream/contracts';
import { compileFilter, type FilterFn } from './filter';
import { byId, SnapshotIndex } from './snapshot-index';

interface AutomationEntry {
  snapshot: AutomationSnapshot;
  filter: FilterFn;
  sourceIds: ReadonlySet<string> | null;
}

/**
 * Automation rules of every account, indexed like SubscriptionIndex on trigger.eventTypes.
 * Loop protection is not applied here (see loop-guard.ts); planEvent combines both.
 */
export class AutomationIndex {
  private readonly index = new SnapshotIndex<AutomationSnapshot, AutomationEntry>(
    (s) => ({
      snapshot: s,
      filter: compileFilter(s.trigger.filter),
      sourceIds: s.trigger.sourceIds === null ? null : new Set(s.trigger.sourceIds),
    }),
    (s) => s.trigger.eventTypes,
  );

  static from(snapshots: Iterable<AutomationSnapshot>): AutomationIndex {
    const idx = new AutomationIndex();
    for (const s of snapshots) idx.upsert(s);
    return idx;
  }

  get size(): number {
    return this.index.size;
  }

  upsert(snapshot: AutomationSnapshot): boolean {
    return this.index.upsert(snapshot);
  }

  remove(id: string): boolean {
    return this.index.remove(id);
  }

  get(id: string): AutomationSnapshot | undefined {
    return this.index.get(id);
  }

  /** Enabled rules whose trigger matches, sorted by id: rules run in this order, so it must not depend on load order. */
  match(event: CanonicalEvent): AutomationSnapshot[] {
    const out: AutomationSnapshot[] = [];
    for (const e of this.index.candidates(event.accountId, event.type)) {
      if (e.sourceIds !== null && !e.sourceIds.has(event.sourceId)) continue;
      if (!e.filter(event)) continue;
      out.push(e.snapshot);
    }
    return out.sort(byId);
  }
}
