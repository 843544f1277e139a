import { randomPoolBytes } from './random-pool';

/**
 * CloudEvents 1.0 binary content mode over Kafka (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md):
 * attributes travel as `ce_*` headers, the value is the JSON data. A W3C `traceparent` rides along.
 * Hand-written rather than the `cloudevents` SDK's Kafka binding: the SDK costs ~6× more per
 * message hop (bench/README.md, "cloudevents"); envelope.spec.ts checks both read the same events.
 */
export interface EventEnvelope {
  id: string;
  type: string;
  source: string;
  time: string;
  subject?: string;
  traceparent?: string;
}

export type KafkaHeaderValue = Buffer | string | undefined | (Buffer | string)[];
export type KafkaHeaders = Record<string, KafkaHeaderValue>;

export const CE_SPEC_VERSION = '1.0';

export function envelopeHeaders(env: EventEnvelope): Record<string, string> {
  const h: Record<string, string> = {
    ce_specversion: CE_SPEC_VERSION,
    ce_id: env.id,
    ce_type: env.type,
    ce_source: env.source,
    ce_time: env.time,
    'content-type': 'application/json',
    traceparent: env.traceparent ?? newTraceparent(),
  };
  if (env.subject) h['ce_subject'] = env.subject;
  return h;
}

function headerString(v: KafkaHeaderValue): string | undefined {
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : one.toString();
}

/** Reads the envelope back; returns undefined when the required CloudEvents attributes are missing. */
export function readEnvelope(headers: KafkaHeaders | undefined): EventEnvelope | undefined {
  if (!headers) return undefined;
  const id = headerString(headers['ce_id']);
  const type = headerString(headers['ce_type']);
  const source = headerString(headers['ce_source']);
  const time = headerString(headers['ce_time']);
  if (!id || !type || !source || !time) return undefined;
  return {
    id,
    type,
    source,
    time,
    subject: headerString(headers['ce_subject']),
    traceparent: headerString(headers['traceparent']),
  };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function newTraceparent(): string {
  return `00-${randomPoolBytes(16).toString('hex')}-${randomPoolBytes(8).toString('hex')}-01`;
}

/** Same trace, new span: what a stage stamps on what it produces from what it consumed. */
export function childTraceparent(parent: string | undefined): string {
  const m = parent ? TRACEPARENT.exec(parent) : null;
  if (!m) return newTraceparent();
  return `00-${m[1]}-${randomPoolBytes(8).toString('hex')}-${m[3]}`;
}
