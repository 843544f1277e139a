import { DLQ_SUFFIX } from '@hookstream/contracts';
import { DLQ_HEADERS, REPLAY_HEADERS } from '@hookstream/kafka';
import type { IHeaders } from 'kafkajs';

/** A dead letter as recorded: where it sits, where it came from, why it failed and whose it is. */
export interface DlqRecord {
  dlqTopic: string;
  dlqPartition: number;
  dlqOffset: string;
  sourceTopic: string;
  consumerGroup: string | null;
  error: string | null;
  attempts: number | null;
  failedAt: string | null;
  accountId: string | null;
  key: string | null;
  value: Buffer | null;
  /** The original record's headers, without the `hookstream_dlq_*` ones (those are the columns above). */
  headers: Record<string, string>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The account a dead letter belongs to, from its value: `accountId` at the top (raw, canonical
 * events, delivery requests and results, contact events) or under `raw` (rejected and duplicate
 * events). Null when the value is not JSON or names none: such a message is shown to operators
 * (CLI) only, never to a tenant.
 */
export function accountOfValue(value: Buffer | null): string | null {
  if (!value || value.length === 0) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return null;
  }
  if (!isObject(parsed)) return null;
  const candidates = [parsed['accountId'], isObject(parsed['raw']) ? parsed['raw']['accountId'] : undefined];
  for (const c of candidates) if (typeof c === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(c)) return c;
  return null;
}

function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const one = Array.isArray(v) ? v[0] : v;
    if (one !== undefined) out[k] = one.toString();
  }
  return out;
}

const DLQ_HEADER_NAMES = new Set<string>(Object.values(DLQ_HEADERS));

export function recordOf(dlqTopic: string, partition: number, m: { offset: string; key: Buffer | null; value: Buffer | null; headers?: IHeaders }): DlqRecord {
  const all = headerStrings(m.headers);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) if (!DLQ_HEADER_NAMES.has(k) && k !== REPLAY_HEADERS.group && k !== REPLAY_HEADERS.of) headers[k] = v;
  const attempts = Number(all[DLQ_HEADERS.attempts]);
  const failedAt = all[DLQ_HEADERS.failedAt];
  return {
    dlqTopic,
    dlqPartition: partition,
    dlqOffset: m.offset,
    sourceTopic: all[DLQ_HEADERS.topic] ?? (dlqTopic.endsWith(DLQ_SUFFIX) ? dlqTopic.slice(0, -DLQ_SUFFIX.length) : dlqTopic),
    consumerGroup: all[DLQ_HEADERS.group] ?? null,
    error: all[DLQ_HEADERS.error] ?? null,
    attempts: Number.isInteger(attempts) ? attempts : null,
    failedAt: failedAt && !Number.isNaN(Date.parse(failedAt)) ? failedAt : null,
    accountId: accountOfValue(m.value),
    key: m.key ? m.key.toString('utf8') : null,
    value: m.value,
    headers,
  };
}
