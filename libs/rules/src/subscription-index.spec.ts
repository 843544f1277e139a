import { eventListIds, isListExempt, passesListFilter, SubscriptionIndex } from './subscription-index';
import { makeEndpoint, makeEvent } from './rules.fixture';

const ids = (idx: SubscriptionIndex, ...args: Parameters<typeof makeEvent>): string[] => idx.match(makeEvent(...args)).map((e) => e.id);

describe('SubscriptionIndex', () => {
  it('matches by event type: exact, prefix wildcard and *', () => {
    const idx = SubscriptionIndex.from([
      makeEndpoint({ id: 'ep_all', eventTypes: ['*'] }),
      makeEndpoint({ id: 'ep_contact', eventTypes: ['contact.*'] }),
      makeEndpoint({ id: 'ep_tag', eventTypes: ['contact.tag_added', 'contact.*'] }),
      makeEndpoint({ id: 'ep_buy', eventTypes: ['purchase'] }),
    ]);
    expect(ids(idx, { type: 'contact.tag_added' })).toEqual(['ep_all', 'ep_contact', 'ep_tag']);
    expect(ids(idx, { type: 'purchase' })).toEqual(['ep_all', 'ep_buy']);
    expect(ids(idx, { type: 'signup' })).toEqual(['ep_all']);
  });

  it('never matches another account, nor a disabled endpoint', () => {
    const idx = SubscriptionIndex.from([
      makeEndpoint({ id: 'ep_other', accountId: 'acc_2' }),
      makeEndpoint({ id: 'ep_off', enabled: false }),
      makeEndpoint({ id: 'ep_on' }),
    ]);
    expect(ids(idx)).toEqual(['ep_on']);
    expect(idx.get('ep_off')?.enabled).toBe(false);
  });

  it('filters on initiatedFrom; null means any, [] means none', () => {
    const idx = SubscriptionIndex.from([
      makeEndpoint({ id: 'ep_any', initiatedFrom: null }),
      makeEndpoint({ id: 'ep_public', initiatedFrom: ['public', 'admin'] }),
      makeEndpoint({ id: 'ep_none', initiatedFrom: [] }),
    ]);
    expect(ids(idx, { initiatedFrom: 'public' })).toEqual(['ep_any', 'ep_public']);
    expect(ids(idx, { initiatedFrom: 'system' })).toEqual(['ep_any']);
  });

  it('applies the field filter', () => {
    const idx = SubscriptionIndex.from([
      makeEndpoint({ id: 'ep_big', filter: { path: 'amount', op: 'gte', value: 100 } }),
      makeEndpoint({ id: 'ep_gb', filter: { path: 'location.countryCode', op: 'eq', value: 'GB' } }),
    ]);
    expect(ids(idx, { amount: 150 })).toEqual(['ep_big', 'ep_gb']);
    expect(ids(idx, { amount: 10 })).toEqual(['ep_gb']);
  });

  describe('list rule', () => {
    const idx = SubscriptionIndex.from([
      makeEndpoint({ id: 'ep_l7', listId: '7' }),
      makeEndpoint({ id: 'ep_anylist', listId: null }),
    ]);

    it('an endpoint with a list only gets events of that list', () => {
      expect(ids(idx, { type: 'contact.subscribed', attributes: { listId: '7' } })).toEqual(['ep_anylist', 'ep_l7']);
      expect(ids(idx, { type: 'contact.subscribed', attributes: { listId: 7 } })).toEqual(['ep_anylist', 'ep_l7']);
      expect(ids(idx, { type: 'contact.updated', attributes: { lists: ['3', '7'] } })).toEqual(['ep_anylist', 'ep_l7']);
      expect(ids(idx, { type: 'contact.subscribed', attributes: { listId: '8' } })).toEqual(['ep_anylist']);
      expect(ids(idx, { type: 'purchase', attributes: {} })).toEqual(['ep_anylist']);
    });

    it.each(['contact.tag_added', 'contact.tag_removed', 'contact.note_added', 'deal.added', 'deal.updated', 'deal.task.completed'])(
      'ignores the list for %s, as ActiveCampaign does',
      (type) => expect(ids(idx, { type, attributes: { listId: '8' } })).toEqual(['ep_anylist', 'ep_l7']),
    );
  });

  it('upsert replaces, ignores older versions, and moves between accounts; remove forgets', () => {
    const idx = new SubscriptionIndex();
    expect(idx.upsert(makeEndpoint({ id: 'ep_1', eventTypes: ['purchase'], version: 2 }))).toBe(true);
    expect(idx.upsert(makeEndpoint({ id: 'ep_1', eventTypes: ['signup'], version: 1 }))).toBe(false);
    expect(ids(idx, { type: 'purchase' })).toEqual(['ep_1']);

    expect(idx.upsert(makeEndpoint({ id: 'ep_1', eventTypes: ['signup'], version: 3 }))).toBe(true);
    expect(ids(idx, { type: 'purchase' })).toEqual([]);
    expect(ids(idx, { type: 'signup' })).toEqual(['ep_1']);

    idx.upsert(makeEndpoint({ id: 'ep_1', eventTypes: ['signup'], accountId: 'acc_2', version: 4 }));
    expect(ids(idx, { type: 'signup' })).toEqual([]);
    expect(ids(idx, { type: 'signup', accountId: 'acc_2' })).toEqual(['ep_1']);

    idx.upsert(makeEndpoint({ id: 'ep_1', accountId: 'acc_2', enabled: false, version: 5 }));
    expect(ids(idx, { type: 'signup', accountId: 'acc_2' })).toEqual([]);

    expect(idx.remove('ep_1')).toBe(true);
    expect(idx.get('ep_1')).toBeUndefined();
    expect(idx.size).toBe(0);
    expect(idx.remove('ep_1')).toBe(false);
  });

  it('examines only endpoints that could match (filters of others are never run)', () => {
    let evaluated = 0;
    const idx = new SubscriptionIndex();
    for (let i = 0; i < 200; i++) {
      const filter = { path: 'amount', op: 'exists', value: true } as const;
      idx.upsert(makeEndpoint({ id: `ep_${i}`, eventTypes: [i === 0 ? 'signup' : `custom.t${i}`], filter }));
    }
    const event = makeEvent({ type: 'signup' });
    // Count property reads of `amount` during matching: only the one signup endpoint reads it.
    const spy = new Proxy(event, { get: (t, k, r) => (k === 'amount' && evaluated++, Reflect.get(t, k, r)) });
    expect(idx.match(spy).map((e) => e.id)).toEqual(['ep_0']);
    expect(evaluated).toBe(1);
  });
});

describe('list helpers', () => {
  it('eventListIds reads listId and lists, drops list 0 and blanks, dedupes', () => {
    expect(eventListIds({ attributes: { listId: 5, lists: '5, 6,0,' } })).toEqual(['5', '6']);
    expect(eventListIds({ attributes: { listId: '0' } })).toEqual([]);
    expect(eventListIds({ attributes: {} })).toEqual([]);
  });
  it('isListExempt', () => {
    expect(isListExempt('contact.tag_added')).toBe(true);
    expect(isListExempt('deal.note_added')).toBe(true);
    expect(isListExempt('contact.updated')).toBe(false);
    expect(isListExempt('dealer.x')).toBe(false);
  });
  it('passesListFilter with no list passes everything', () => {
    expect(passesListFilter(null, { type: 'purchase', attributes: {} })).toBe(true);
    expect(passesListFilter('1', { type: 'purchase', attributes: {} })).toBe(false);
  });
});
