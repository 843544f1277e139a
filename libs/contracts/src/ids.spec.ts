import { stableId } from './ids';

describe('stableId', () => {
  // Ids already stored and produced (deliveries, contacts, events with an Idempotency-Key) must keep
  // their value across versions: a redelivered message has to produce the same id. These vectors
  // were computed with the first implementation (createHash('sha256') … .digest('hex').slice(0, 26)).
  it.each([
    ['dlv', ['evt_1', 'ep_1'], 'dlv_99c08df5343fb58f6277c93457'],
    ['ct', ['acc_1', 'ann@example.com'], 'ct_e535d3b8917713d48bd8f72dc9'],
    ['evt', ['idempotency-key', 'src_1', 'Zoë-1'], 'evt_d5d0dba9330b9a22e1b34c174a'],
  ])('%s %j keeps its value', (prefix, parts, want) => {
    expect(stableId(prefix, ...parts)).toBe(want);
  });

  it('hashes the parts, not the prefix, and separates parts', () => {
    expect(stableId('msg', 'evt_1', 'ep_1').slice(4)).toBe(stableId('dlv', 'evt_1', 'ep_1').slice(4));
    expect(stableId('dlv', 'evt_1', 'ep_1')).not.toBe(stableId('dlv', 'evt_1e', 'p_1'));
  });
});
