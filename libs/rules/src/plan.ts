import { deliveryIds, type CanonicalEvent, type DeliveryRequestDto } from '@hookstream/contracts';
import type { AutomationIndex } from './automation-index';
import {
  applyAction, applyEvent, contactEventFromChange, type Contact, type ContactChange,
} from './contacts';
import { canTrigger, DEFAULT_MAX_CAUSATION_DEPTH } from './loop-guard';
import type { SubscriptionIndex } from './subscription-index';

export interface PlanContext {
  subscriptions: SubscriptionIndex;
  automations: AutomationIndex;
  /** The event's contact as stored, or undefined when there is none yet. */
  contact: Contact | undefined;
  maxDepth?: number;
  /** Stamped as the deliveries' createdAt; defaults to the clock. */
  now?: Date;
  /**
   * The deliveries' `data` is the event object itself instead of a JSON-plain copy. Only for a
   * caller whose event is JSON-plain already (parsed from JSON, or built by this lib) and that
   * serialises the deliveries without changing them: the copy is then pure overhead.
   */
  shareEvent?: boolean;
}

export interface PlanResult {
  /** At most one per (event, endpoint); a subscription wins over a rule targeting the same endpoint. */
  deliveries: DeliveryRequestDto[];
  contact: Contact | undefined;
  /** Changes to announce; they come back as events, and the loop guard applies to them then. */
  contactEvents: CanonicalEvent[];
  firedRules: string[];
  /** Rules whose trigger matched but the loop guard stopped. */
  suppressedRules: string[];
  /** Actions that could not be carried out, e.g. a webhook to an endpoint of another account. */
  skipped: { ruleId: string; action: string; reason: string }[];
}

/** A plain, JSON-safe copy of the event for the delivery body (class instances and undefined members dropped). */
function plainCopy(event: CanonicalEvent): Record<string, unknown> {
  return JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
}

/**
 * Decides everything one enriched event causes: deliveries to subscribed endpoints and to
 * webhook actions of rules that fire, the contact after the event and the rules' effects, and
 * the contact events to publish. Pure and deterministic: the same event and state give the same
 * ids, so a redelivered event produces nothing new downstream.
 *
 * Rules run in id order on the contact as the event left it; their contact effects are not fed
 * to other rules here but announced in contactEvents, which re-enter the pipeline.
 */
export function planEvent(event: CanonicalEvent, ctx: PlanContext): PlanResult {
  const maxDepth = ctx.maxDepth ?? DEFAULT_MAX_CAUSATION_DEPTH;
  const createdAt = (ctx.now ?? new Date()).toISOString();
  const deliveries: DeliveryRequestDto[] = [];
  const targeted = new Set<string>();
  let data: Record<string, unknown> | undefined;

  const deliver = (endpointId: string, cause: 'subscription' | 'rule', causeId?: string): void => {
    if (targeted.has(endpointId)) return;
    targeted.add(endpointId);
    // One hash for both: the delivery id ordered by the event id's time (when it has one), the webhook id as before.
    const { id, webhookId } = deliveryIds(event.id, endpointId);
    const d: DeliveryRequestDto = {
      id,
      webhookId,
      accountId: event.accountId,
      endpointId,
      eventId: event.id,
      eventType: event.type,
      eventTime: event.occurredAt,
      // One copy per event, shared by its deliveries: they are serialised, never mutated.
      data: (data ??= ctx.shareEvent ? (event as unknown as Record<string, unknown>) : plainCopy(event)),
      cause,
      createdAt,
    };
    if (causeId !== undefined) d.causeId = causeId;
    deliveries.push(d);
  };

  for (const endpoint of ctx.subscriptions.match(event)) deliver(endpoint.id, 'subscription');

  const pending: { change: ContactChange; ruleId?: string }[] = [];
  const own = applyEvent(ctx.contact, event);
  let contact = own.contact;
  for (const change of own.changes) {
    if (!restates(event, change)) pending.push({ change });
  }

  const firedRules: string[] = [];
  const suppressedRules: string[] = [];
  const skipped: PlanResult['skipped'] = [];
  for (const rule of ctx.automations.match(event)) {
    if (!canTrigger(rule, event, { maxDepth })) {
      suppressedRules.push(rule.id);
      continue;
    }
    firedRules.push(rule.id);
    for (const action of rule.actions) {
      if (action.type === 'webhook') {
        const endpoint = ctx.subscriptions.get(action.endpointId);
        // Only the account's own, known, enabled endpoints: a stale or forged rule must not
        // send one account's events to another's endpoint.
        const reason = !endpoint || endpoint.accountId !== event.accountId
          ? 'unknown endpoint'
          : !endpoint.enabled ? 'endpoint disabled' : undefined;
        if (reason) skipped.push({ ruleId: rule.id, action: `webhook:${action.endpointId}`, reason });
        else deliver(action.endpointId, 'rule', rule.id);
        continue;
      }
      if (contact === undefined) {
        skipped.push({ ruleId: rule.id, action: action.type, reason: 'event has no contact' });
        continue;
      }
      const res = applyAction(contact, action);
      contact = res.contact;
      for (const change of res.changes) pending.push({ change, ruleId: rule.id });
    }
  }

  const contactEvents: CanonicalEvent[] = [];
  if (contact !== undefined) {
    const seen = new Map<string, number>();
    for (const { change, ruleId } of pending) {
      // The same change twice for one event (add, remove, add again) needs distinct ids.
      const key = `${change.kind}\u0000${'tag' in change ? change.tag : 'listId' in change ? change.listId : ''}\u0000${ruleId ?? ''}`;
      const occurrence = seen.get(key) ?? 0;
      seen.set(key, occurrence + 1);
      contactEvents.push(contactEventFromChange(change, contact, { event, ruleId, occurrence }));
    }
  }

  return { deliveries, contact, contactEvents, firedRules, suppressedRules, skipped };
}

/**
 * True when a change only repeats what the event itself announces (an incoming
 * `contact.tag_added` for tag X adding X): re-emitting it would deliver the same fact twice.
 */
function restates(event: CanonicalEvent, change: ContactChange): boolean {
  if (event.type !== `contact.${change.kind}`) return false;
  const attrs = event.attributes ?? {};
  const same = (v: unknown, want: string): boolean => String(v ?? '').split(',').some((s) => s.trim() === want);
  switch (change.kind) {
    case 'tag_added':
    case 'tag_removed':
      return same(attrs['tag'], change.tag);
    case 'list_added':
    case 'list_removed':
      return same(attrs['listId'], change.listId) || (Array.isArray(attrs['lists']) && attrs['lists'].map(String).includes(change.listId));
    default:
      return true;
  }
}
