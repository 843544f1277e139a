import type { DeliveryRequestDto } from '@hookstream/contracts';
import { deliveryJson } from './automation.service';

const base = (endpointId: string, data: Record<string, unknown>): DeliveryRequestDto => ({
  id: `dlv_${endpointId}`, webhookId: `msg_${endpointId}`, accountId: 'acc_1', endpointId, eventId: 'evt_1', eventType: 'contact.added',
  eventTime: '2026-11-25T10:00:00.000Z', data, cause: 'rule', causeId: 'aut_1', createdAt: '2026-11-25T10:00:01.000Z',
});

describe('deliveryJson', () => {
  it('is the request as JSON: parses back to exactly the object JSON.stringify would give', () => {
    const data = { person: { email: 'a@example.com', firstName: 'Zoë "Z"' }, tags: ['x', 'y'], nested: { n: 1.5, nil: null }, dropped: undefined };
    const d = base('ep_1', data);
    expect(JSON.parse(deliveryJson(d, new WeakMap()).text)).toEqual(JSON.parse(JSON.stringify(d)));
  });

  it("serialises an event's shared data once for all of its deliveries", () => {
    const data = { big: 'x'.repeat(1000) };
    const cache = new WeakMap<object, string>();
    const spy = jest.spyOn(JSON, 'stringify');
    const out = ['ep_1', 'ep_2', 'ep_3'].map((ep) => JSON.parse(deliveryJson(base(ep, data), cache).text) as DeliveryRequestDto);
    const dataCalls = spy.mock.calls.filter(([v]) => v === data).length;
    spy.mockRestore();
    expect(dataCalls).toBe(1);
    expect(out.map((o) => o.endpointId)).toEqual(['ep_1', 'ep_2', 'ep_3']);
    expect(out.every((o) => o.data['big'] === data.big)).toBe(true);
  });
});
