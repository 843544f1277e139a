import { CloudEvent, Kafka, type KafkaMessage } from 'cloudevents';
import { CE_SPEC_VERSION, envelopeHeaders, readEnvelope, type EventEnvelope } from './envelope';

/*
 * The envelope is hand-written for speed (tools/bench/cloudevents.bench.ts: the SDK's Kafka
 * binding costs several times more per message). These tests hold it to the SDK's own reading of
 * CloudEvents binary mode, both ways, so a subscriber using any CloudEvents SDK gets the same event.
 */
const env: EventEnvelope = {
  id: 'evt_0abc123',
  type: 'hookstream.event.purchase',
  source: '/sources/src_1',
  time: '2026-02-28T14:30:00.120Z',
  subject: 'acc_1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
};
const value = { id: 'evt_0abc123', type: 'purchase', amount: 49 };

function kafkaMessage(headers: Record<string, string>, data: unknown = value): KafkaMessage<Buffer> {
  const bytes = Buffer.from(JSON.stringify(data));
  return { key: 'acc_1:sarah@example.com', value: bytes, body: bytes, headers };
}

describe('CloudEvents envelope against the cloudevents SDK (Kafka binding)', () => {
  it('the SDK decodes what Hookstream writes into the same event, valid under its strict rules', () => {
    const event = Kafka.toEvent(kafkaMessage(envelopeHeaders(env))) as CloudEvent<typeof value>;
    expect(event.specversion).toBe(CE_SPEC_VERSION);
    expect(event.id).toBe(env.id);
    expect(event.type).toBe(env.type);
    expect(event.source).toBe(env.source);
    expect(event.time).toBe(env.time);
    expect(event.subject).toBe(env.subject);
    expect(event.datacontenttype).toBe('application/json');
    expect(event.data).toEqual(value);
    expect(event.validate()).toBe(true);
  });

  it('a second-precision time (as dialects write them) reads back as the same instant', () => {
    const event = Kafka.toEvent(kafkaMessage(envelopeHeaders({ ...env, time: '2026-02-28T14:30:00Z' }))) as CloudEvent<unknown>;
    expect(Date.parse(event.time ?? '')).toBe(Date.parse('2026-02-28T14:30:00Z'));
  });

  it('Hookstream reads what the SDK writes', () => {
    const sdk = new CloudEvent({
      id: env.id, type: env.type, source: env.source, time: env.time, subject: env.subject,
      datacontenttype: 'application/json', data: value, partitionkey: 'k',
    });
    const headers = Kafka.binary(sdk).headers as Record<string, string>;
    expect(readEnvelope(headers)).toEqual({ id: env.id, type: env.type, source: env.source, time: env.time, subject: env.subject, traceparent: undefined });
  });

  it('without a required attribute neither side accepts the message as a CloudEvent', () => {
    const headers = envelopeHeaders(env);
    delete headers['ce_source'];
    expect(readEnvelope(headers)).toBeUndefined();
    const event = Kafka.toEvent(kafkaMessage(headers)) as CloudEvent<unknown>;
    expect(() => event.validate()).toThrow();
  });
});
