// Micro-bench of planEvent: 1 account, 1,000 endpoints, 1,000 rules, 100k events.
// Run: node -r reflect-metadata -r ts-node/register/transpile-only -r tsconfig-paths/register libs/rules/bench/match.bench.ts
import type { AutomationAction, CanonicalEvent, FilterExpr } from '@hookstream/contracts';
import { AutomationIndex, planEvent, SubscriptionIndex, type Contact } from '../src';
import { makeEndpoint, makeEvent, makeRule } from '../src/rules.fixture';

const ENDPOINTS = 1_000;
const RULES = 1_000;
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 100_000);

// A tiny deterministic PRNG so every run benches the same configuration.
let seed = 42;
const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

const EXACT = ['purchase', 'signup', 'review', 'custom', 'contact.subscribed', 'contact.updated', 'contact.tag_added',
  'contact.tag_removed', 'contact.list_added', 'deal.added', 'deal.updated'];
// Custom types nobody sends: most endpoints of a real account listen to something else.
const RARE = Array.from({ length: 200 }, (_, i) => `app.event_${i}`);
const FILTERS: (FilterExpr | null)[] = [
  null, null, null,
  { path: 'amount', op: 'gte', value: 50 },
  { path: 'location.countryCode', op: 'in', value: ['GB', 'IE', 'US'] },
  { and: [{ path: 'person.email', op: 'contains', value: '@example.' }, { path: 'product.price', op: 'lt', value: 100 }] },
  { or: [{ path: 'attributes.plan', op: 'eq', value: 'pro' }, { path: 'attributes.tags', op: 'contains', value: 'vip' }] },
];

function eventTypes(): string[] {
  const r = rnd();
  if (r < 0.005) return ['*'];
  if (r < 0.025) return [pick(['contact.*', 'deal.*'])];
  if (r < 0.1) return [pick(EXACT), pick(EXACT)];
  return [pick(RARE), pick(RARE)];
}

const subscriptions = SubscriptionIndex.from(Array.from({ length: ENDPOINTS }, (_, i) => makeEndpoint({
  id: `ep_${i}`, eventTypes: eventTypes(), filter: pick(FILTERS),
  initiatedFrom: rnd() < 0.2 ? ['public', 'api'] : null, listId: rnd() < 0.1 ? pick(['1', '2', '3']) : null,
})));

const actions = (): AutomationAction[] => {
  const r = rnd();
  if (r < 0.4) return [{ type: 'add_tag', tag: pick(['buyer', 'vip', 'lead', 'reviewer']) }];
  if (r < 0.6) return [{ type: 'add_to_list', listId: pick(['1', '2', '3']) }];
  if (r < 0.8) return [{ type: 'webhook', endpointId: `ep_${Math.floor(rnd() * ENDPOINTS)}` }];
  return [{ type: 'remove_tag', tag: 'lead' }, { type: 'add_tag', tag: 'customer' }];
};
const automations = AutomationIndex.from(Array.from({ length: RULES }, (_, i) => makeRule({
  id: `aut_${String(i).padStart(4, '0')}`, trigger: { eventTypes: eventTypes(), sourceIds: rnd() < 0.3 ? ['src_1'] : null, filter: pick(FILTERS) },
  actions: actions(),
})));

const SAMPLE_TYPES = ['purchase', 'purchase', 'purchase', 'signup', 'review', 'contact.updated', 'contact.tag_added', 'deal.added'];
const events: CanonicalEvent[] = Array.from({ length: 1_000 }, (_, i) => makeEvent({
  id: `evt_${i.toString(36)}`, type: pick(SAMPLE_TYPES), amount: Math.floor(rnd() * 200),
  initiatedFrom: pick(['public', 'api', 'admin', 'system'] as const),
  person: { email: `user${i % 300}@example.com`, firstName: 'Ann', lastName: null, ip: null, nameSource: 'payload' },
  attributes: { plan: pick(['free', 'pro']), tags: rnd() < 0.2 ? ['vip'] : [], listId: pick(['1', '2', '3', '0']), tag: 'lead' },
}));
const contact: Contact = {
  id: 'ct_bench', accountId: events[0].accountId, emailNorm: 'user1@example.com', firstName: 'Ann', lastName: null,
  tags: ['lead'], lists: ['1'], fields: {}, createdFromEventId: 'evt_0',
};

function run(n: number): { deliveries: number; fired: number; contactEvents: number; ms: number } {
  let deliveries = 0;
  let fired = 0;
  let contactEvents = 0;
  const now = new Date();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const plan = planEvent(events[i % events.length], { subscriptions, automations, contact: i % 2 ? contact : undefined, now });
    deliveries += plan.deliveries.length;
    fired += plan.firedRules.length;
    contactEvents += plan.contactEvents.length;
  }
  return { deliveries, fired, contactEvents, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

run(Math.min(EVENTS, 5_000)); // warm-up: let the JIT settle before timing
const r = run(EVENTS);
const perSec = (x: number): string => Math.round((x / r.ms) * 1000).toLocaleString('en-US');
console.log(`rules bench: ${ENDPOINTS} endpoints, ${RULES} rules, ${EVENTS.toLocaleString('en-US')} planEvent calls in ${r.ms.toFixed(0)} ms`);
console.log(`  ${perSec(EVENTS)} events/s, ${perSec(r.deliveries)} delivery requests/s`);
console.log(`  per event: ${(r.deliveries / EVENTS).toFixed(1)} deliveries, ${(r.fired / EVENTS).toFixed(1)} rules fired, ${(r.contactEvents / EVENTS).toFixed(1)} contact events`);
