import { normaliseRaw } from './normalise';
import { rawEvent } from './raw-event.fixture';

const ACTIVLY = { event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: '2026-02-28T14:30:00Z' };

describe('normaliseRaw', () => {
  it('auto-detects and records the dialect and detection', () => {
    const result = normaliseRaw(rawEvent(ACTIVLY, { dialect: 'auto' }));
    expect(result.ok).toBe(true);
    expect(result.dialect).toBe('activly');
    expect(result.detection).toEqual({ dialect: 'activly', confidence: 0.95 });
    if (result.ok) {
      expect(result.event.dialect).toBe('activly');
      expect(result.event.id).toBe('evt_0test0000000000000000000');
      expect(result.event.accountId).toBe('acc_1');
      expect(result.event.sourceId).toBe('src_1');
      expect(result.event.receivedAt).toBe('2026-02-28T14:30:00.120Z');
      expect(result.event.occurredAt).toBe('2026-02-28T14:30:00.000Z');
    }
  });

  it('uses the pinned dialect without detecting, and rejects what does not fit it', () => {
    const result = normaliseRaw(rawEvent({ email: 'a@example.com' }, { dialect: 'activly' }));
    expect(result.ok).toBe(false);
    expect(result.dialect).toBe('activly');
    expect(result.detection).toBeNull();
    if (!result.ok) expect(result.reasons.map((r) => r.path)).toEqual(['event', 'first_name', 'city', 'country', 'product', 'timestamp']);
  });

  it('takes initiatedFrom from the raw event, overridden by an ActiveCampaign payload', () => {
    const generic = normaliseRaw(rawEvent({ a: 1 }, { initiatedFrom: 'system' }));
    expect(generic.ok && generic.event.initiatedFrom).toBe('system');
    const ac = normaliseRaw(rawEvent({ type: 'subscribe', contact: { email: 'a@example.com' }, initiated_from: 'public' }, { initiatedFrom: 'system' }));
    expect(ac.ok && ac.event.initiatedFrom).toBe('public');
    expect(ac.dialect).toBe('activecampaign');
  });

  it('falls back to generic for an unrecognised object, and rejects a non-object body', () => {
    expect(normaliseRaw(rawEvent({ hello: 'world' })).dialect).toBe('generic');
    const bad = normaliseRaw(rawEvent('hello'));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reasons[0].rule).toBe('isObject');
  });
});
