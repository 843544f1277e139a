import { AutomationIndex } from './automation-index';
import { makeEvent, makeRule } from './rules.fixture';

describe('AutomationIndex', () => {
  const idx = AutomationIndex.from([
    makeRule({ id: 'aut_c', trigger: { eventTypes: ['contact.*'], sourceIds: null, filter: null } }),
    makeRule({ id: 'aut_b', trigger: { eventTypes: ['purchase'], sourceIds: ['src_1'], filter: null } }),
    makeRule({ id: 'aut_a', trigger: { eventTypes: ['purchase', 'signup'], sourceIds: null, filter: { path: 'amount', op: 'gt', value: 100 } } }),
    makeRule({ id: 'aut_off', enabled: false }),
    makeRule({ id: 'aut_other', accountId: 'acc_2' }),
  ]);
  const match = (...args: Parameters<typeof makeEvent>): string[] => idx.match(makeEvent(...args)).map((r) => r.id);

  it('matches on type, source and filter, sorted by id', () => {
    expect(match({ type: 'purchase', amount: 150 })).toEqual(['aut_a', 'aut_b']);
    expect(match({ type: 'purchase', amount: 50 })).toEqual(['aut_b']);
    expect(match({ type: 'purchase', amount: 50, sourceId: 'src_2' })).toEqual([]);
    expect(match({ type: 'contact.tag_added' })).toEqual(['aut_c']);
    expect(match({ type: 'review' })).toEqual([]);
  });

  it('sorts by id whatever the load order', () => {
    const reversed = AutomationIndex.from(['aut_3', 'aut_1', 'aut_2'].map((id) => makeRule({ id })));
    expect(reversed.match(makeEvent()).map((r) => r.id)).toEqual(['aut_1', 'aut_2', 'aut_3']);
  });

  it('upsert and remove keep the index current', () => {
    const i = new AutomationIndex();
    i.upsert(makeRule({ id: 'aut_x', trigger: { eventTypes: ['signup'], sourceIds: null, filter: null } }));
    expect(i.match(makeEvent({ type: 'signup' }))).toHaveLength(1);
    i.upsert(makeRule({ id: 'aut_x', version: 2, trigger: { eventTypes: ['purchase'], sourceIds: null, filter: null } }));
    expect(i.match(makeEvent({ type: 'signup' }))).toHaveLength(0);
    expect(i.get('aut_x')?.version).toBe(2);
    i.remove('aut_x');
    expect(i.match(makeEvent({ type: 'purchase' }))).toHaveLength(0);
  });
});
