import type { AutomationSnapshot, CanonicalEvent } from '@hookstream/contracts';
import { AutomationIndex } from './automation-index';
import type { Contact } from './contacts';
import { canTrigger } from './loop-guard';
import { planEvent } from './plan';
import { makeEvent, makeRule } from './rules.fixture';
import { SubscriptionIndex } from './subscription-index';

describe('canTrigger', () => {
  const rule = { id: 'aut_1' };
  it('lets external events and other rules\' effects through below the limit', () => {
    expect(canTrigger(rule, {})).toBe(true);
    expect(canTrigger(rule, { causationDepth: 4, causedByRule: 'aut_2' })).toBe(true);
  });
  it('stops at the depth limit', () => {
    expect(canTrigger(rule, { causationDepth: 5 })).toBe(false);
    expect(canTrigger(rule, { causationDepth: 2 }, { maxDepth: 2 })).toBe(false);
    expect(canTrigger(rule, { causationDepth: 1 }, { maxDepth: 2 })).toBe(true);
  });
  it('never lets a rule run on its own effect', () => {
    expect(canTrigger(rule, { causationDepth: 1, causedByRule: 'aut_1' })).toBe(false);
  });
});

/**
 * Runs the automation app's loop in miniature: plan an event, store the contact, feed the
 * contact events back in as new events, until nothing more is produced.
 */
function simulate(rules: AutomationSnapshot[], first: CanonicalEvent, maxDepth?: number) {
  const automations = AutomationIndex.from(rules);
  const subscriptions = new SubscriptionIndex();
  let contact: Contact | undefined;
  const queue = [first];
  const firings: { rule: string; depth: number }[] = [];
  const seen: CanonicalEvent[] = [];
  while (queue.length > 0) {
    if (seen.length > 1000) throw new Error('runaway chain');
    const event = queue.shift()!;
    seen.push(event);
    const plan = planEvent(event, { subscriptions, automations, contact, maxDepth, now: new Date(0) });
    contact = plan.contact;
    for (const r of plan.firedRules) firings.push({ rule: r, depth: event.causationDepth ?? 0 });
    queue.push(...plan.contactEvents);
  }
  return { firings, seen, contact };
}

const onTagAdded = (id: string, whenTag: string | null, actions: AutomationSnapshot['actions']): AutomationSnapshot =>
  makeRule({
    id,
    trigger: { eventTypes: ['contact.tag_added'], sourceIds: null, filter: whenTag ? { path: 'attributes.tag', op: 'eq', value: whenTag } : null },
    actions,
  });

describe('loop protection through planEvent', () => {
  const start = makeEvent({ id: 'evt_start', type: 'contact.tag_added', dialect: 'activecampaign', attributes: { tag: 'pong' } });

  it('a rule that adds a tag on tag_added is not re-triggered by its own effect', () => {
    const { firings, seen, contact } = simulate([onTagAdded('aut_self', null, [{ type: 'add_tag', tag: 'vip' }])], start);
    expect(firings).toEqual([{ rule: 'aut_self', depth: 0 }]);
    expect(seen.map((e) => [e.type, e.causationDepth ?? 0, e.causedByRule])).toEqual([
      ['contact.tag_added', 0, undefined],
      ['contact.subscribed', 1, undefined],
      ['contact.tag_added', 1, 'aut_self'],
    ]);
    expect(contact!.tags).toEqual(['pong', 'vip']);
  });

  const pingPong = [
    onTagAdded('aut_a', 'pong', [{ type: 'remove_tag', tag: 'pong' }, { type: 'add_tag', tag: 'ping' }]),
    onTagAdded('aut_b', 'ping', [{ type: 'remove_tag', tag: 'ping' }, { type: 'add_tag', tag: 'pong' }]),
  ];

  it('two rules ping-ponging stop at depth 5', () => {
    const { firings, seen } = simulate(pingPong, start);
    expect(firings).toEqual([
      { rule: 'aut_a', depth: 0 }, { rule: 'aut_b', depth: 1 }, { rule: 'aut_a', depth: 2 },
      { rule: 'aut_b', depth: 3 }, { rule: 'aut_a', depth: 4 },
    ]);
    expect(Math.max(...seen.map((e) => e.causationDepth ?? 0))).toBe(5);
    // The depth-5 tag_added reached the planner, matched aut_b, and was suppressed.
    const last = seen.find((e) => e.causationDepth === 5 && e.type === 'contact.tag_added')!;
    const replay = planEvent(last, {
      subscriptions: new SubscriptionIndex(), automations: AutomationIndex.from(pingPong), contact: undefined,
    });
    expect(replay.firedRules).toEqual([]);
    expect(replay.suppressedRules).toEqual(['aut_b']);
  });

  it('honours a smaller maxDepth', () => {
    const { firings } = simulate(pingPong, start, 2);
    expect(firings.map((f) => f.depth)).toEqual([0, 1]);
  });
});
