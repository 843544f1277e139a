import { newId, stableId, timeKey } from '@hookstream/contracts';
import { AutomationIndex } from './automation-index';
import { contactIdFor, type Contact } from './contacts';
import { planEvent, type PlanContext } from './plan';
import { ACCOUNT, makeEndpoint, makeEvent, makeRule } from './rules.fixture';
import { SubscriptionIndex } from './subscription-index';

const NOW = new Date('2026-03-01T00:00:00Z');

function ctx(over: Partial<PlanContext> = {}): PlanContext {
  return {
    subscriptions: SubscriptionIndex.from([
      makeEndpoint({ id: 'ep_buy', eventTypes: ['purchase'] }),
      makeEndpoint({ id: 'ep_contact', eventTypes: ['contact.*'] }),
      makeEndpoint({ id: 'ep_hook' , eventTypes: ['review'] }),
      makeEndpoint({ id: 'ep_foreign', accountId: 'acc_2' }),
      makeEndpoint({ id: 'ep_off', enabled: false }),
    ]),
    automations: new AutomationIndex(),
    contact: undefined,
    now: NOW,
    ...over,
  };
}

const existing = (): Contact => ({
  id: contactIdFor(ACCOUNT, 'sarah@example.com'), accountId: ACCOUNT, emailNorm: 'sarah@example.com',
  firstName: 'Sarah', lastName: null, tags: [], lists: [], fields: {}, createdFromEventId: 'evt_old',
});

describe('planEvent', () => {
  it('makes one delivery per matched endpoint with deterministic ids and a plain copy of the event', () => {
    const event = makeEvent({ id: 'evt_p1' });
    const plan = planEvent(event, ctx({ contact: existing() }));
    expect(plan.deliveries).toEqual([{
      id: stableId('dlv', 'evt_p1', 'ep_buy'), webhookId: stableId('msg', 'evt_p1', 'ep_buy'),
      accountId: ACCOUNT, endpointId: 'ep_buy', eventId: 'evt_p1', eventType: 'purchase', eventTime: event.occurredAt,
      data: event, cause: 'subscription', createdAt: NOW.toISOString(),
    }]);
    expect(plan.deliveries[0].data).not.toBe(event);
    expect(plan.deliveries[0].id).toMatch(/^dlv_[0-9a-z]+$/);
    expect(plan.deliveries[0].webhookId).toMatch(/^msg_[0-9a-z]+$/);
    expect(plan.contactEvents).toEqual([]);
  });

  it('orders the delivery ids of drawn event ids as they were drawn; a redelivered event gets the same ids', () => {
    const drawn = Date.parse('2026-12-06T10:00:00.000Z');
    const events = Array.from({ length: 50 }, (_, i) => makeEvent({ id: newId('evt', drawn + i * 7) }));
    const ids = events.map((e) => planEvent(e, ctx({ contact: existing() })).deliveries[0].id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0].startsWith(`dlv_${timeKey(drawn)}`)).toBe(true);
    // A sender's retry with the same Idempotency-Key: same event id, a later receivedAt.
    const again = planEvent({ ...structuredClone(events[3]), receivedAt: new Date(drawn + 60_000).toISOString() }, ctx({ contact: existing() })).deliveries[0];
    expect(again.id).toBe(ids[3]);
    expect(again.webhookId).toBe(stableId('msg', events[3].id, 'ep_buy'));
  });

  it('shares the event as the deliveries\' data when asked (no copy), with the same JSON', () => {
    const event = makeEvent({ id: 'evt_p2' });
    const copied = planEvent(event, ctx({ contact: existing() }));
    const shared = planEvent(event, { ...ctx({ contact: existing() }), shareEvent: true });
    expect(shared.deliveries[0].data).toBe(event);
    expect(JSON.stringify(shared.deliveries[0].data)).toBe(JSON.stringify(copied.deliveries[0].data));
  });

  it('is deterministic: planning the same event twice gives the same output', () => {
    const rules = AutomationIndex.from([makeRule({ actions: [{ type: 'add_tag', tag: 'buyer' }, { type: 'webhook', endpointId: 'ep_hook' }] })]);
    const a = planEvent(makeEvent(), ctx({ automations: rules }));
    const b = planEvent(makeEvent(), ctx({ automations: rules }));
    expect(b).toEqual(a);
  });

  it('fires rules: webhook actions become deliveries, tag/list actions change the contact and emit events', () => {
    const automations = AutomationIndex.from([
      makeRule({ id: 'aut_1', trigger: { eventTypes: ['purchase'], sourceIds: null, filter: { path: 'amount', op: 'gt', value: 10 } },
        actions: [{ type: 'add_tag', tag: 'buyer' }, { type: 'add_to_list', listId: '3' }, { type: 'webhook', endpointId: 'ep_hook' }] }),
      makeRule({ id: 'aut_2', trigger: { eventTypes: ['purchase'], sourceIds: null, filter: { path: 'amount', op: 'gt', value: 1000 } },
        actions: [{ type: 'add_tag', tag: 'whale' }] }),
    ]);
    const event = makeEvent({ id: 'evt_p2', initiatedFrom: 'public' });
    const plan = planEvent(event, ctx({ automations, contact: existing() }));

    expect(plan.firedRules).toEqual(['aut_1']);
    expect(plan.deliveries.map((d) => [d.endpointId, d.cause, d.causeId])).toEqual([
      ['ep_buy', 'subscription', undefined], ['ep_hook', 'rule', 'aut_1'],
    ]);
    expect(plan.contact).toMatchObject({ tags: ['buyer'], lists: ['3'] });
    expect(plan.contactEvents.map((e) => [e.type, e.initiatedFrom, e.causedByRule, e.causedBy, e.causationDepth])).toEqual([
      ['contact.tag_added', 'system', 'aut_1', 'evt_p2', 1],
      ['contact.list_added', 'system', 'aut_1', 'evt_p2', 1],
    ]);
  });

  it('delivers exactly once per endpoint when a subscription and a rule both target it', () => {
    const automations = AutomationIndex.from([
      makeRule({ id: 'aut_1', actions: [{ type: 'webhook', endpointId: 'ep_buy' }] }),
      makeRule({ id: 'aut_2', actions: [{ type: 'webhook', endpointId: 'ep_buy' }, { type: 'webhook', endpointId: 'ep_hook' }, { type: 'webhook', endpointId: 'ep_hook' }] }),
    ]);
    const plan = planEvent(makeEvent(), ctx({ automations }));
    expect(plan.deliveries.map((d) => [d.endpointId, d.cause, d.causeId])).toEqual([
      ['ep_buy', 'subscription', undefined], ['ep_hook', 'rule', 'aut_2'],
    ]);
    expect(new Set(plan.deliveries.map((d) => d.id)).size).toBe(2);
  });

  it('skips webhook actions to unknown, foreign or disabled endpoints', () => {
    const automations = AutomationIndex.from([makeRule({
      actions: [{ type: 'webhook', endpointId: 'ep_foreign' }, { type: 'webhook', endpointId: 'ep_off' }, { type: 'webhook', endpointId: 'ep_gone' }],
    })]);
    const plan = planEvent(makeEvent({ type: 'signup' }), ctx({ automations }));
    expect(plan.deliveries).toEqual([]);
    expect(plan.skipped.map((s) => s.reason)).toEqual(['unknown endpoint', 'endpoint disabled', 'unknown endpoint']);
  });

  it('contact changes caused by the event keep its initiatedFrom; a new contact is announced', () => {
    const plan = planEvent(makeEvent({ id: 'evt_new', initiatedFrom: 'admin', attributes: { listId: '5' } }), ctx());
    expect(plan.contact).toMatchObject({ emailNorm: 'sarah@example.com', lists: ['5'], createdFromEventId: 'evt_new' });
    expect(plan.contactEvents.map((e) => [e.type, e.initiatedFrom, e.causedByRule, e.causationDepth])).toEqual([
      ['contact.subscribed', 'admin', undefined, 1], ['contact.list_added', 'admin', undefined, 1],
    ]);
  });

  it('does not re-announce what the incoming contact event already says', () => {
    const plan = planEvent(
      makeEvent({ type: 'contact.tag_added', dialect: 'activecampaign', attributes: { tag: 'a', tags: 'a, b' } }),
      ctx({ contact: existing() }),
    );
    expect(plan.contact!.tags).toEqual(['a', 'b']);
    expect(plan.contactEvents.map((e) => [e.type, e.attributes['tag']])).toEqual([['contact.tag_added', 'b']]);
    expect(plan.deliveries.map((d) => d.endpointId)).toEqual(['ep_contact']);
  });

  it('a contact event coming back around changes nothing more (idempotent)', () => {
    const automations = AutomationIndex.from([makeRule({ id: 'aut_1', trigger: { eventTypes: ['purchase'], sourceIds: null, filter: null }, actions: [{ type: 'add_tag', tag: 'buyer' }] })]);
    const first = planEvent(makeEvent(), ctx({ automations, contact: existing() }));
    const back = planEvent(first.contactEvents[0], ctx({ automations, contact: first.contact }));
    expect(back.contact).toBe(first.contact);
    expect(back.contactEvents).toEqual([]);
    expect(back.deliveries.map((d) => d.endpointId)).toEqual(['ep_contact']);
  });

  it('gives distinct ids to the same change made twice for one event', () => {
    const automations = AutomationIndex.from([
      makeRule({ id: 'aut_1', actions: [{ type: 'add_tag', tag: 'x' }, { type: 'remove_tag', tag: 'x' }, { type: 'add_tag', tag: 'x' }] }),
    ]);
    const plan = planEvent(makeEvent(), ctx({ automations, contact: existing() }));
    expect(plan.contactEvents.map((e) => e.type)).toEqual(['contact.tag_added', 'contact.tag_removed', 'contact.tag_added']);
    expect(new Set(plan.contactEvents.map((e) => e.id)).size).toBe(3);
  });

  it('reports contact actions as skipped when the event has no person to act on', () => {
    const automations = AutomationIndex.from([makeRule({ id: 'aut_1', actions: [{ type: 'add_tag', tag: 'x' }, { type: 'webhook', endpointId: 'ep_hook' }] })]);
    const event = makeEvent({ person: { ...makeEvent().person, email: null } });
    const plan = planEvent(event, ctx({ automations }));
    expect(plan.contact).toBeUndefined();
    expect(plan.skipped).toEqual([{ ruleId: 'aut_1', action: 'add_tag', reason: 'event has no contact' }]);
    expect(plan.deliveries.map((d) => d.endpointId)).toEqual(['ep_buy', 'ep_hook']);
  });

  it('suppresses rules stopped by the loop guard but still delivers to subscribers', () => {
    const automations = AutomationIndex.from([makeRule({ id: 'aut_1', actions: [{ type: 'webhook', endpointId: 'ep_hook' }] })]);
    const plan = planEvent(makeEvent({ causationDepth: 5, causedBy: 'evt_x' }), ctx({ automations }));
    expect(plan.firedRules).toEqual([]);
    expect(plan.suppressedRules).toEqual(['aut_1']);
    expect(plan.deliveries.map((d) => d.endpointId)).toEqual(['ep_buy']);
  });
});
