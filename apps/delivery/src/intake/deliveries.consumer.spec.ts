import { DeliveryRequestDto } from '@hookstream/contracts';
import { PermanentMessageError, type InboundMessage } from '@hookstream/kafka';
import { parseDeliveryRequest } from './deliveries.consumer';

const request = {
  id: 'dlv_1a', webhookId: 'msg_1a', accountId: 'acc_1', endpointId: 'ep_1', eventId: 'evt_1', eventType: 'purchase',
  eventTime: '2026-11-25T10:00:00.000Z', data: { person: { email: 'a@example.com' }, products: [{ name: 'Shoes' }] }, cause: 'subscription', createdAt: '2026-11-25T10:00:00.000Z',
};
const msg = (value: unknown): InboundMessage => ({ topic: 'hookstream.deliveries.v1', partition: 2, offset: '7', key: 'ep_1', value, headers: {}, envelope: undefined, timestamp: '2026-11-25T10:00:00.000Z' }) as InboundMessage;

describe('parseDeliveryRequest', () => {
  it('gives a DeliveryRequestDto with the message fields, data as it came', () => {
    const value = structuredClone(request);
    const dto = parseDeliveryRequest(msg(value));
    expect(dto).toBeInstanceOf(DeliveryRequestDto);
    expect(dto).toEqual(request);
    expect(dto.data).toBe(value.data);
  });

  it('refuses a request that breaks the contract as permanent, naming every problem and where it came from', () => {
    const bad = { ...request, id: 'nope', createdAt: 'yesterday', data: 'text' };
    expect(() => parseDeliveryRequest(msg(bad))).toThrow(PermanentMessageError);
    expect(() => parseDeliveryRequest(msg(bad))).toThrow(/hookstream\.deliveries\.v1\[2\]@7: invalid delivery request: .*id must match.*data must be an object.*createdAt must be a valid ISO 8601/);
  });

  it.each([[null], [[request]], ['text']])('refuses %p: a delivery request must be a JSON object', (value) => {
    expect(() => parseDeliveryRequest(msg(value))).toThrow(/must be a JSON object/);
  });
});
