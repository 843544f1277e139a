import { deliveryIds, idTime, newId, stableHash, stableId, timeKey } from './ids';

describe('stableId', () => {
  // Ids already stored and produced (contacts, events with an Idempotency-Key, webhook ids, and the
  // delivery ids of such events: deliveryIds below) must keep their value across versions: a
  // redelivered message has to produce the same id. These vectors were computed with the first
  // implementation (createHash('sha256') … .digest('hex').slice(0, 26)).
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

describe('deliveryIds', () => {
  const drawnAt = Date.parse('2026-12-06T10:00:00.000Z');

  it('keeps the ids of earlier versions for an event id that is a hash, and every webhook id', () => {
    expect(deliveryIds('evt_1', 'ep_1')).toEqual({ id: 'dlv_99c08df5343fb58f6277c93457', webhookId: 'msg_99c08df5343fb58f6277c93457' });
    const idem = stableId('evt', 'idempotency-key', 'src_1', 'Zoë-1');
    expect(deliveryIds(idem, 'ep_1')).toEqual({ id: stableId('dlv', idem, 'ep_1'), webhookId: stableId('msg', idem, 'ep_1') });
  });

  it("starts the delivery id of a drawn event id with that id's time, then the same hash", () => {
    const eventId = newId('evt', drawnAt);
    const { id, webhookId } = deliveryIds(eventId, 'ep_1');
    expect(id).toBe(`dlv_${timeKey(drawnAt)}${stableHash(eventId, 'ep_1').slice(0, 20)}`);
    expect(id).toMatch(/^dlv_[0-9a-z]+$/);
    expect(webhookId).toBe(stableId('msg', eventId, 'ep_1'));
    expect(deliveryIds(eventId, 'ep_2').id).not.toBe(id);
    expect(deliveryIds(eventId, 'ep_1').id).toBe(id);
  });

  it('sorts as the event ids were drawn, whatever the hash', () => {
    const ids = [0, 1, 999, 60_000, 86_400_000, 400 * 86_400_000].map((ms) => deliveryIds(newId('evt', drawnAt + ms), 'ep_1').id);
    expect([...ids].sort()).toEqual(ids);
  });
});

describe('idTime', () => {
  it("reads newId's time back, and nothing from other ids", () => {
    expect(idTime(newId('evt', 1_796_000_000_123))).toBe(1_796_000_000_123);
    expect(idTime(stableId('evt', 'a'))).toBeNull();
    expect(idTime('evt_p1')).toBeNull();
    expect(idTime('evt_0MIXEDCASE0000000000')).toBeNull();
  });

  it('is the time part of newId: 9 base-36 digits', () => {
    expect(timeKey(1_796_000_000_123)).toHaveLength(9);
    expect(newId('evt', 1_796_000_000_123).slice(4, 13)).toBe(timeKey(1_796_000_000_123));
  });
});
