import { SOURCE_DIALECTS } from '@hookstream/contracts';
import { normaliseRaw } from '@hookstream/dialects';
import { samplePayload, testEventEmail } from './sample-payloads';

describe('samplePayload', () => {
  const now = new Date('2026-03-01T12:00:00.000Z');

  it.each(SOURCE_DIALECTS.map((d) => [d]))('gives a %s source a payload its dialect accepts', (dialect) => {
    const p = samplePayload(dialect, now);
    const r = normaliseRaw({
      id: 'evt_0test', accountId: 'acc_1', sourceId: 'src_1', receivedAt: now.toISOString(), contentType: p.contentType,
      headers: {}, body: p.body, clientIp: null, idempotencyKey: null, dialect, initiatedFrom: 'api',
    });
    if (!r.ok) throw new Error(`${dialect}: ${JSON.stringify(r.reasons)}`);
    // Activly's email is optional and may be dropped; where kept, it is this click's own address.
    expect(r.event.person.email ?? testEventEmail(now)).toBe(testEventEmail(now));
    expect(r.event.occurredAt).toBe(now.toISOString());
  });

  it('gives every click its own address, so a second test event is not a duplicate of the first', () => {
    const a = samplePayload('activly', now).body['email'];
    const b = samplePayload('activly', new Date(now.getTime() + 1000)).body['email'];
    expect(a).not.toBe(b);
    expect(String(a)).toMatch(/^sarah\.test\+[0-9a-z]+@example\.com$/);
  });
});
