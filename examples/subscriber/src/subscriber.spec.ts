import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { topicContract, type AsyncApiDocument } from './contract';
import { decode } from './subscriber';

// The committed copy of what control-api serves at /asyncapi.json.
const doc = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'libs', 'schemas', 'published', 'asyncapi.json'), 'utf8')) as AsyncApiDocument;
const contract = topicContract(doc, 'hookstream.events.enriched.v1');

const event = {
  id: 'evt_0abc', accountId: 'acc_1', sourceId: 'src_1', type: 'purchase',
  occurredAt: '2026-02-28T14:30:00Z', receivedAt: '2026-02-28T14:30:00.120Z', initiatedFrom: 'api',
  person: { email: 'sarah@example.com', firstName: 'Sarah', lastName: null, ip: null, nameSource: 'payload' },
  location: { city: 'London', state: null, stateCode: null, country: 'United Kingdom', countryCode: 'GB', source: 'payload' },
  product: null, products: [], amount: 49, currency: 'GBP', attributes: {}, dialect: 'activly',
};
const headers = {
  ce_specversion: '1.0', ce_id: 'evt_0abc', ce_type: 'hookstream.event.purchase', ce_source: '/sources/src_1',
  ce_time: '2026-02-28T14:30:00Z', ce_subject: 'acc_1', 'content-type': 'application/json',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
};

function record(value: unknown, h: Record<string, string> = headers): KafkaMessage {
  return {
    key: Buffer.from('acc_1:sarah@example.com'), value: Buffer.from(JSON.stringify(value)), offset: '7', timestamp: '0', attributes: 0,
    headers: Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Buffer.from(v)])),
  };
}

describe('example subscriber: decoding against the published contract', () => {
  it('finds the topic in the AsyncAPI document and refuses one that is not there', () => {
    expect(contract.messageId).toBe('events.enriched.v1');
    expect(() => topicContract(doc, 'hookstream.nope.v1')).toThrow(/no channel for hookstream.nope.v1/);
  });

  it('decodes a CloudEvents record whose value matches the schema', () => {
    const d = decode(contract, 2, record(event));
    expect(d).toEqual({
      ok: true,
      event: expect.objectContaining({ id: 'evt_0abc', type: 'hookstream.event.purchase', source: '/sources/src_1', subject: 'acc_1', key: 'acc_1:sarah@example.com', partition: 2, offset: '7', data: event }),
    });
  });

  it('reports a value that breaks the schema, with where', () => {
    const { person: _p, ...noPerson } = event;
    const d = decode(contract, 0, record({ ...noPerson, initiatedFrom: 'somewhere' }));
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^value\/ must have required property 'person'/), expect.stringMatching(/^value\/initiatedFrom must be equal to one of the allowed values/)]));
  });

  it('reports headers outside the contract, and records that are not CloudEvents', () => {
    const wrongType = decode(contract, 0, record(event, { ...headers, ce_type: 'something.else' }));
    expect(wrongType.ok).toBe(false);
    if (!wrongType.ok) expect(wrongType.problems.join()).toMatch(/headers\/ce_type must match pattern/);
    const { ce_id: _id, ...noId } = headers;
    const notCe = decode(contract, 0, record(event, noId));
    expect(notCe.ok).toBe(false);
    if (!notCe.ok) expect(notCe.problems.join()).toMatch(/not a CloudEvent/);
  });
});
