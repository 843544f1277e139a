// Builders for the specs and the bench; not exported from index.ts.
import {
  emptyLocation, emptyPerson, type AutomationSnapshot, type CanonicalEvent, type EndpointSnapshot,
} from '@hookstream/contracts';

export const ACCOUNT = 'acc_1';

export function makeEvent(overrides: Partial<CanonicalEvent> = {}): CanonicalEvent {
  return {
    id: 'evt_0001',
    accountId: ACCOUNT,
    sourceId: 'src_1',
    type: 'purchase',
    occurredAt: '2026-02-28T14:30:00Z',
    receivedAt: '2026-02-28T14:30:00.120Z',
    initiatedFrom: 'api',
    person: { ...emptyPerson(), email: 'Sarah@Example.com', firstName: 'Sarah', nameSource: 'payload' },
    location: { ...emptyLocation(), city: 'London', country: 'United Kingdom', countryCode: 'GB', source: 'payload' },
    product: { id: null, name: 'Running Shoes', link: null, image: null, price: 49, quantity: 1 },
    products: [],
    amount: 49,
    currency: 'GBP',
    attributes: {},
    dialect: 'activly',
    ...overrides,
  };
}

export function makeEndpoint(overrides: Partial<EndpointSnapshot> = {}): EndpointSnapshot {
  return {
    kind: 'endpoint',
    id: 'ep_1',
    accountId: ACCOUNT,
    url: 'https://example.com/hook',
    enabled: true,
    eventTypes: ['*'],
    initiatedFrom: null,
    listId: null,
    filter: null,
    format: 'json',
    secrets: [],
    rateLimitPerSecond: null,
    maxConcurrency: 4,
    version: 1,
    updatedAt: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

export function makeRule(overrides: Partial<AutomationSnapshot> = {}): AutomationSnapshot {
  return {
    kind: 'automation',
    id: 'aut_1',
    accountId: ACCOUNT,
    name: 'rule',
    enabled: true,
    trigger: { eventTypes: ['*'], sourceIds: null, filter: null },
    actions: [],
    version: 1,
    updatedAt: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}
