import type { DeliveryFormat } from '@hookstream/contracts';
import { formPayload, jsonPayload, webhookHeaders, type FormPayloadInput, type FormValue } from '@hookstream/webhooks';

/** The part of a delivery request that decides what goes on the wire. */
export interface WebhookContent {
  webhookId: string;
  eventType: string;
  eventTime: string;
  data: Record<string, unknown>;
}

export interface SignedWebhook {
  body: string;
  headers: Record<string, string>;
}

/**
 * Body and headers of one attempt. `webhook-id` is the request's, so every retry carries the
 * same one; `webhook-timestamp` is the attempt's own time (receivers reject stale ones), and
 * the body is signed with every live secret so receivers mid-rotation accept it either way.
 */
export function buildWebhook(content: WebhookContent, format: DeliveryFormat, secrets: readonly string[], now: Date): SignedWebhook {
  const body = format === 'form' ? formPayload(formInputFor(content)) : jsonPayload(content.eventType, content.eventTime, content.data);
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    body,
    headers: {
      'content-type': format === 'form' ? 'application/x-www-form-urlencoded' : 'application/json',
      ...webhookHeaders(content.webhookId, timestamp, body, secrets),
    },
  };
}

/** Our event types in ActiveCampaign's own names, so AC-built receivers recognise them. */
const AC_TYPES: Readonly<Record<string, string>> = {
  'contact.subscribed': 'subscribe',
  'contact.unsubscribed': 'unsubscribe',
  'contact.updated': 'update',
  'contact.tag_added': 'contact_tag_added',
  'contact.tag_removed': 'contact_tag_removed',
  'contact.note_added': 'contact_note_added',
  'contact.list_added': 'list_add',
  'contact.list_removed': 'unsubscribe',
  'deal.added': 'deal_add',
  'deal.updated': 'deal_update',
  'deal.note_added': 'deal_note_add',
};

/** Keys of `attributes` that feed dedicated form parameters rather than `contact[fields]`. */
const RESERVED_ATTRIBUTES = new Set(['tags', 'fields', 'list', 'listId', 'contactId', 'initiatedBy', 'phone', 'orgname', 'deal']);

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function text(...candidates: unknown[]): string | undefined {
  for (const c of candidates) {
    if (typeof c === 'string' && c !== '') return c;
    if (typeof c === 'number' && Number.isFinite(c)) return String(c);
  }
  return undefined;
}

function tags(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((t): t is string => typeof t === 'string' && t !== '');
  if (typeof v === 'string') return v.split(',').map((t) => t.trim()).filter((t) => t !== '');
  return [];
}

function scalarFields(source: Record<string, unknown> | undefined, skip: ReadonlySet<string> = new Set()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(source ?? {})) {
    if (skip.has(k)) continue;
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

/**
 * The ActiveCampaign-compatible form parameters from the request's `data`, which is the
 * canonical event (person, attributes …) or an AC-shaped `contact`. Custom fields are
 * `attributes.fields` when present, else the scalar attributes.
 */
export function formInputFor(content: WebhookContent): FormPayloadInput {
  const data = content.data;
  const person = record(data['person']) ?? {};
  const contact = record(data['contact']) ?? {};
  const attributes = record(data['attributes']) ?? {};
  const initiatedFrom = text(data['initiatedFrom'], data['initiated_from']) ?? 'system';
  const fieldsSource = record(attributes['fields']) ?? record(contact['fields']);
  const extra: Record<string, FormValue> = {};
  const deal = record(attributes['deal']) ?? record(data['deal']);
  if (deal) extra['deal'] = scalarFields(deal);
  return {
    type: AC_TYPES[content.eventType] ?? content.eventType,
    dateTime: text(data['occurredAt']) ?? content.eventTime,
    initiatedFrom,
    initiatedBy: text(attributes['initiatedBy'], data['initiatedBy'], data['initiated_by']) ?? initiatedFrom,
    list: text(attributes['list'], attributes['listId'], data['listId'], data['list']) ?? '0',
    contact: {
      id: text(attributes['contactId'], contact['id'], data['contactId'], person['id']) ?? '',
      email: text(person['email'], contact['email']) ?? '',
      firstName: text(person['firstName'], contact['first_name'], contact['firstName']) ?? null,
      lastName: text(person['lastName'], contact['last_name'], contact['lastName']) ?? null,
      phone: text(attributes['phone'], contact['phone']) ?? null,
      orgname: text(attributes['orgname'], contact['orgname']) ?? null,
      tags: tags(attributes['tags'] ?? contact['tags']),
      fields: fieldsSource ? scalarFields(fieldsSource) : scalarFields(attributes, RESERVED_ATTRIBUTES),
    },
    extra,
  };
}
