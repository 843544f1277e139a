import {
  emptyLocation, stableId, type AutomationAction, type CanonicalEvent, type InitiatedFrom,
} from '@hookstream/contracts';
import { eventListIds } from './subscription-index';

export interface Contact {
  /** `stableId('ct', accountId, emailNorm)`: the same person gets the same id on every replica. */
  id: string;
  accountId: string;
  emailNorm: string;
  firstName: string | null;
  lastName: string | null;
  tags: string[];
  lists: string[];
  fields: Record<string, string>;
  createdFromEventId: string;
}

export type ContactChange =
  | { kind: 'subscribed' }
  /** `changed` names what moved: `firstName`, `lastName`, `fields.<key>`. */
  | { kind: 'updated'; changed: string[] }
  | { kind: 'tag_added'; tag: string }
  | { kind: 'tag_removed'; tag: string }
  | { kind: 'list_added'; listId: string }
  | { kind: 'list_removed'; listId: string };

export type ContactChangeKind = ContactChange['kind'];

export interface ContactUpdate {
  contact: Contact | undefined;
  changes: ContactChange[];
}

/** Lower-cased and trimmed; undefined when it cannot be an address. */
export function normalizeEmail(email: string | null | undefined): string | undefined {
  if (typeof email !== 'string') return undefined;
  const e = email.trim().toLowerCase();
  const at = e.indexOf('@');
  return at > 0 && at < e.length - 1 ? e : undefined;
}

export function contactIdFor(accountId: string, emailNorm: string): string {
  return stableId('ct', accountId, emailNorm);
}

/** Names from an array or a comma-separated string (`contact[tags]` arrives as "a, b"). */
function names(v: unknown): string[] {
  const raw: unknown[] = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : [];
  const out: string[] = [];
  for (const r of raw) {
    if (typeof r !== 'string' && typeof r !== 'number') continue;
    const t = String(r).trim();
    if (t.length > 0 && !out.includes(t)) out.push(t);
  }
  return out;
}

function scalarFields(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
  }
  return out;
}

function cleanName(v: string | null | undefined): string | null {
  const t = typeof v === 'string' ? v.trim() : '';
  return t.length > 0 ? t : null;
}

function addTag(c: Contact, tag: string, changes: ContactChange[]): void {
  if (c.tags.includes(tag)) return;
  c.tags.push(tag);
  changes.push({ kind: 'tag_added', tag });
}

function removeTag(c: Contact, tag: string, changes: ContactChange[]): void {
  const i = c.tags.indexOf(tag);
  if (i === -1) return;
  c.tags.splice(i, 1);
  changes.push({ kind: 'tag_removed', tag });
}

function addList(c: Contact, listId: string, changes: ContactChange[]): void {
  if (c.lists.includes(listId)) return;
  c.lists.push(listId);
  changes.push({ kind: 'list_added', listId });
}

function removeList(c: Contact, listId: string, changes: ContactChange[]): void {
  const i = c.lists.indexOf(listId);
  if (i === -1) return;
  c.lists.splice(i, 1);
  changes.push({ kind: 'list_removed', listId });
}

function copy(c: Contact): Contact {
  return { ...c, tags: [...c.tags], lists: [...c.lists], fields: { ...c.fields } };
}

const LIST_LEAVING_TYPES = new Set(['contact.unsubscribed', 'contact.list_removed']);

/**
 * Folds an event into a contact. The input is never mutated; when nothing changes the same
 * object comes back, so callers can skip a write by comparing references.
 *
 * - No contact yet: one is created if the event has a usable email (`subscribed`), else nothing.
 * - Names: a name from the payload replaces the stored one; a name the enricher guessed
 *   (`nameSource` history/email) only fills an empty one.
 * - `attributes.fields` (scalars) are merged; existing keys the event omits are kept.
 * - Tags: `attributes.tags` are added (never treated as the full set, so tags set by our own
 *   rules survive); `contact.tag_added`/`contact.tag_removed` add/remove `attributes.tag`.
 * - Lists (`attributes.listId`, `attributes.lists`): added, except on `contact.unsubscribed` and
 *   `contact.list_removed`, which remove them.
 * A new contact reports `subscribed` but not `updated`.
 * An event caused by automation (`causedBy` set) never changes an existing contact: it reports
 * a change already made, and its contents are a snapshot that may be stale by now.
 */
export function applyEvent(contact: Contact | undefined, event: CanonicalEvent): ContactUpdate {
  const changes: ContactChange[] = [];
  // A contact event we emitted (causedBy set) announces a change that was applied when it was
  // planned; its names, fields, tags and lists are a snapshot of that moment. Re-applying it
  // when it comes back would undo whatever happened to the contact since (a later rule removed
  // a tag, a newer purchase renamed the person) and announce those reversals as new changes.
  if (contact !== undefined && event.causedBy !== undefined) return { contact, changes };
  let c: Contact;
  const isNew = contact === undefined;
  if (contact === undefined) {
    const emailNorm = normalizeEmail(event.person?.email);
    if (emailNorm === undefined) return { contact: undefined, changes };
    c = {
      id: contactIdFor(event.accountId, emailNorm), accountId: event.accountId, emailNorm,
      firstName: null, lastName: null, tags: [], lists: [], fields: {}, createdFromEventId: event.id,
    };
    changes.push({ kind: 'subscribed' });
  } else {
    c = copy(contact);
  }

  const changed: string[] = [];
  const authoritative = event.person?.nameSource === 'payload' || event.person?.nameSource == null;
  for (const key of ['firstName', 'lastName'] as const) {
    const next = cleanName(event.person?.[key]);
    if (next !== null && next !== c[key] && (authoritative || c[key] === null)) {
      c[key] = next;
      changed.push(key);
    }
  }
  const attrs = event.attributes ?? {};
  for (const [k, v] of Object.entries(scalarFields(attrs['fields']))) {
    if (c.fields[k] !== v) {
      c.fields[k] = v;
      changed.push(`fields.${k}`);
    }
  }
  if (!isNew && changed.length > 0) changes.push({ kind: 'updated', changed });

  for (const tag of names(attrs['tags'])) addTag(c, tag, changes);
  if (event.type === 'contact.tag_added') for (const tag of names(attrs['tag'])) addTag(c, tag, changes);
  if (event.type === 'contact.tag_removed') for (const tag of names(attrs['tag'])) removeTag(c, tag, changes);

  const leaving = LIST_LEAVING_TYPES.has(event.type);
  for (const listId of eventListIds(event)) (leaving ? removeList : addList)(c, listId, changes);

  return changes.length === 0 && contact !== undefined ? { contact, changes } : { contact: c, changes };
}

function changesContact(c: Contact, action: AutomationAction): boolean {
  switch (action.type) {
    case 'add_tag':
      return !c.tags.includes(action.tag.trim());
    case 'remove_tag':
      return c.tags.includes(action.tag.trim());
    case 'add_to_list':
      return !c.lists.includes(action.listId);
    case 'remove_from_list':
      return c.lists.includes(action.listId);
    case 'webhook':
      return false;
  }
}

/** Applies one automation action; idempotent (adding a tag the contact has changes nothing). */
export function applyAction(contact: Contact, action: AutomationAction): { contact: Contact; changes: ContactChange[] } {
  const changes: ContactChange[] = [];
  if (!changesContact(contact, action)) return { contact, changes };
  const c = copy(contact);
  switch (action.type) {
    case 'add_tag':
      addTag(c, action.tag.trim(), changes);
      break;
    case 'remove_tag':
      removeTag(c, action.tag.trim(), changes);
      break;
    case 'add_to_list':
      addList(c, action.listId, changes);
      break;
    case 'remove_from_list':
      removeList(c, action.listId, changes);
      break;
    case 'webhook':
      break;
  }
  return { contact: c, changes };
}

export interface ChangeCause {
  /** The event being processed when the change happened. */
  event: CanonicalEvent;
  /** Defaults to `system` when a rule caused the change, else to the event's own. */
  initiatedFrom?: InitiatedFrom;
  ruleId?: string;
  /** Disambiguates the same change made twice for one event (a rule adds, another removes, a third re-adds). */
  occurrence?: number;
}

function changeDetail(change: ContactChange): string {
  switch (change.kind) {
    case 'tag_added':
    case 'tag_removed':
      return change.tag;
    case 'list_added':
    case 'list_removed':
      return change.listId;
    case 'updated':
      return change.changed.join(',');
    case 'subscribed':
      return '';
  }
}

/**
 * The `contact.*` event announcing a change. Everything in it derives from the cause, the
 * change and the contact, so a redelivered cause yields the same event id and the same body:
 * times are the cause's, not the clock's.
 */
export function contactEventFromChange(change: ContactChange, contact: Contact, cause: ChangeCause): CanonicalEvent {
  const ev = cause.event;
  const parts = [ev.id, change.kind, changeDetail(change), cause.ruleId ?? ''];
  if (cause.occurrence) parts.push(String(cause.occurrence));
  const attributes: Record<string, unknown> = {
    contactId: contact.id,
    tags: [...contact.tags],
    lists: [...contact.lists],
  };
  if (change.kind === 'tag_added' || change.kind === 'tag_removed') attributes['tag'] = change.tag;
  if (change.kind === 'list_added' || change.kind === 'list_removed') attributes['listId'] = change.listId;
  if (change.kind === 'updated') attributes['changed'] = [...change.changed];
  if (change.kind === 'subscribed' || change.kind === 'updated') attributes['fields'] = { ...contact.fields };
  const event: CanonicalEvent = {
    id: stableId('evt', ...parts),
    accountId: ev.accountId,
    sourceId: ev.sourceId,
    type: `contact.${change.kind}`,
    occurredAt: ev.occurredAt,
    receivedAt: ev.receivedAt,
    initiatedFrom: cause.initiatedFrom ?? (cause.ruleId !== undefined ? 'system' : ev.initiatedFrom),
    person: { email: contact.emailNorm, firstName: contact.firstName, lastName: contact.lastName, ip: null, nameSource: null },
    location: ev.location ? { ...ev.location } : emptyLocation(),
    product: null,
    products: [],
    amount: null,
    currency: null,
    attributes,
    dialect: ev.dialect,
    causedBy: ev.id,
    causationDepth: (ev.causationDepth ?? 0) + 1,
  };
  if (cause.ruleId !== undefined) event.causedByRule = cause.ruleId;
  return event;
}
