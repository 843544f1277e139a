import { envelopeHeaders, readEnvelope, type EventEnvelope, type KafkaHeaders } from '@hookstream/contracts';

/** What a handler receives: one decoded Kafka record. */
export interface InboundMessage<T = unknown> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** Parsed JSON value; null for a tombstone. */
  value: T;
  headers: Record<string, string>;
  envelope?: EventEnvelope;
  timestamp: string;
}

/** What a producer sends. `envelope` becomes CloudEvents binary-mode headers. */
export interface OutboundMessage {
  key: string | null;
  /** Serialised as JSON; null produces a tombstone. */
  value: unknown;
  envelope?: EventEnvelope;
  headers?: Record<string, string>;
  partition?: number;
}

export function headersToStrings(headers: KafkaHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const one = Array.isArray(v) ? v[0] : v;
    if (one !== undefined) out[k] = one.toString();
  }
  return out;
}

export function encodeHeaders(msg: OutboundMessage): Record<string, string> | undefined {
  if (!msg.envelope && !msg.headers) return undefined;
  return { ...(msg.envelope ? envelopeHeaders(msg.envelope) : {}), ...(msg.headers ?? {}) };
}

export function decodeEnvelope(headers: Record<string, string>): EventEnvelope | undefined {
  return readEnvelope(headers);
}
