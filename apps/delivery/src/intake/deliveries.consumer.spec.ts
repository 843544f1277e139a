import { DeliveryRequestDto, dtoCheck } from '@hookstream/contracts';
import { PermanentMessageError, type InboundMessage } from '@hookstream/kafka';
import { validateSync } from 'class-validator';
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

  // The fast check must accept exactly what class-validator accepts: each variant breaks (or
  // stretches) one rule, and both must give the same verdict.
  const variants: [string, Record<string, unknown>][] = [
    ['as produced', {}],
    ['causeId set', { causeId: 'sub_1' }],
    ['causeId null', { causeId: null }],
    ['causeId a number', { causeId: 7 }],
    ['extra field', { extra: 1 }],
    ['id without prefix', { id: '1a' }],
    ['id upper case', { id: 'dlv_1A' }],
    ['id a number', { id: 7 }],
    ['webhookId wrong prefix', { webhookId: 'dlv_1a' }],
    ['accountId missing', { accountId: undefined }],
    ['endpointId a number', { endpointId: 1 }],
    ['eventId null', { eventId: null }],
    ['eventType an object', { eventType: {} }],
    ['eventTime not ISO', { eventTime: 'yesterday' }],
    ['eventTime an impossible date', { eventTime: '2026-02-30T10:00:00Z' }],
    ['eventTime date only', { eventTime: '2026-11-25' }],
    ['eventTime with offset', { eventTime: '2026-11-25T10:00:00+02:00' }],
    ['data an array', { data: [] }],
    ['data null', { data: null }],
    ['data a string', { data: 'x' }],
    ['data empty object', { data: {} }],
    ['cause unknown', { cause: 'other' }],
    ['cause missing', { cause: undefined }],
    ['createdAt a number', { createdAt: 1764064800000 }],
  ];
  it.each(variants)('fast check agrees with class-validator: %s', (_name, change) => {
    const value: Record<string, unknown> = { ...structuredClone(request), ...change };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete value[k];
    const classValidatorAccepts = validateSync(Object.assign(new DeliveryRequestDto(), value), { forbidUnknownValues: false }).length === 0;
    expect(dtoCheck(DeliveryRequestDto)(Object.assign(new DeliveryRequestDto(), value))).toBe(classValidatorAccepts);
    if (classValidatorAccepts) expect(parseDeliveryRequest(msg(value))).toEqual(value);
    else expect(() => parseDeliveryRequest(msg(value))).toThrow(PermanentMessageError);
  });
});
