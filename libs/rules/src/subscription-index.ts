import type { CanonicalEvent, EndpointSnapshot, InitiatedFrom } from '@hookstream/contracts';
import { compileFilter, type FilterFn } from './filter';
import { byId, SnapshotIndex } from './snapshot-index';

/**
 * Event types for which an endpoint's list is ignored. ActiveCampaign lets a webhook be tied to
 * a list, but its settings page only shows the list field "if the webhook type requires a list"
 * (seeds/001_926584a2b80b6750.txt, "Create a webhook in Developer settings"): tags, notes and
 * deals belong to the contact or deal, not to a list subscription, so they fire for every list.
 */
export const LIST_EXEMPT_TYPES: readonly string[] = ['contact.tag_added', 'contact.tag_removed', 'contact.note_added'];
const LIST_EXEMPT = new Set(LIST_EXEMPT_TYPES);

export function isListExempt(type: string): boolean {
  return LIST_EXEMPT.has(type) || type.startsWith('deal.');
}

function listIdOf(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string') {
    const t = v.trim();
    return t.length > 0 ? t : undefined;
  }
  return undefined;
}

/**
 * The lists an event concerns: `attributes.listId` and `attributes.lists` (an array, or a
 * comma-separated string as form payloads carry it). Numbers become strings. ActiveCampaign's
 * `list=0` means "no particular list" and is dropped.
 */
export function eventListIds(event: Pick<CanonicalEvent, 'attributes'>): string[] {
  const out: string[] = [];
  const push = (v: unknown): void => {
    const id = listIdOf(v);
    if (id !== undefined && id !== '0' && !out.includes(id)) out.push(id);
  };
  const attrs = event.attributes ?? {};
  push(attrs['listId']);
  const lists = attrs['lists'];
  if (Array.isArray(lists)) lists.forEach(push);
  else if (typeof lists === 'string') lists.split(',').forEach(push);
  return out;
}

/** Whether an endpoint tied to `listId` (null = all lists) receives this event. */
export function passesListFilter(listId: string | null, event: Pick<CanonicalEvent, 'type' | 'attributes'>): boolean {
  if (listId === null || isListExempt(event.type)) return true;
  return eventListIds(event).includes(listId);
}

interface EndpointEntry {
  snapshot: EndpointSnapshot;
  filter: FilterFn;
  initiatedFrom: ReadonlySet<InitiatedFrom> | null;
}

/**
 * Endpoint subscriptions of every account, kept current from the config topic, answering
 * "who gets this event?". Only endpoints that are enabled, of the event's account, and listen
 * to its type (exactly or by wildcard) are examined; the rest cost nothing.
 */
export class SubscriptionIndex {
  private readonly index = new SnapshotIndex<EndpointSnapshot, EndpointEntry>(
    (s) => ({
      snapshot: s,
      filter: compileFilter(s.filter),
      initiatedFrom: s.initiatedFrom === null ? null : new Set(s.initiatedFrom),
    }),
    (s) => s.eventTypes,
  );

  static from(snapshots: Iterable<EndpointSnapshot>): SubscriptionIndex {
    const idx = new SubscriptionIndex();
    for (const s of snapshots) idx.upsert(s);
    return idx;
  }

  get size(): number {
    return this.index.size;
  }

  upsert(snapshot: EndpointSnapshot): boolean {
    return this.index.upsert(snapshot);
  }

  remove(id: string): boolean {
    return this.index.remove(id);
  }

  get(id: string): EndpointSnapshot | undefined {
    return this.index.get(id);
  }

  /** Endpoints that get a delivery of this event, sorted by id. */
  match(event: CanonicalEvent): EndpointSnapshot[] {
    const out: EndpointSnapshot[] = [];
    const listExempt = isListExempt(event.type);
    let lists: string[] | undefined;
    for (const e of this.index.candidates(event.accountId, event.type)) {
      // An empty initiatedFrom list matches nothing: the endpoint asked for no source at all.
      if (e.initiatedFrom !== null && !e.initiatedFrom.has(event.initiatedFrom)) continue;
      if (e.snapshot.listId !== null && !listExempt && !(lists ??= eventListIds(event)).includes(e.snapshot.listId)) continue;
      if (!e.filter(event)) continue;
      out.push(e.snapshot);
    }
    return out.sort(byId);
  }
}
