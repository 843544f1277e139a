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
  /** Serialised as JSON (a `RawJson` is written as its bytes); null produces a tombstone. */
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

/**
 * A value produced as exactly these bytes instead of being JSON-encoded: a dead letter keeps what
 * was received, even when it is not JSON, so it can be replayed once the cause is fixed.
 */
export class RawJson {
  readonly bytes: Buffer;
  constructor(raw: Buffer | string) {
    this.bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  }
  get text(): string {
    return this.bytes.toString('utf8');
  }
  /** For loggers and other JSON encoders; the producer writes `bytes`. */
  toJSON(): unknown {
    try {
      return JSON.parse(this.text);
    } catch {
      return { unparsable: this.text.slice(0, 100_000) };
    }
  }
}

/** The record value a producer writes for an outbound value. */
export function encodeValue(value: unknown): Buffer | string | null {
  if (value === null) return null;
  if (value instanceof RawJson) return value.bytes;
  return JSON.stringify(value);
}
