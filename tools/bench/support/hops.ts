/*
 * Where POST → signed receipt goes, hop by hop, from the records themselves.
 *
 * Every record on a Hookstream topic carries the time its producer built the produce request
 * (Kafka CreateTime: kafkajs stamps `Date.now()` when it encodes the request; the topics keep
 * CreateTime). After a latency run, the bench reads the range each topic gained during the run
 * (high watermarks before → after, a consumer group of its own, nothing read while the run is
 * measured) and joins the times by event id (`ce_id` of events.raw/valid/enriched, `eventId` of the
 * deliveries value) and webhook id (the receiver's `webhook-id`). One clock: everything runs on
 * this machine.
 *
 * A hop is the time between the record a stage read and the record it wrote, so it holds the
 * upstream produce's acknowledgement (acks=all), the wait for the stage's next fetch (a cycle
 * still busy, fetch linger, maxWait), the fetch itself, the handler until its produce request
 * left (PostgreSQL, the producer's queue):
 *   gateway     POST arrived (`receivedAt`, stamped by the gateway) → events.raw record
 *   validator   events.raw record → events.valid record
 *   enricher    events.valid record → events.enriched record
 *   automation  events.enriched record → deliveries record
 *   delivery    deliveries record → signed request received by the endpoint
 * The five add up to the POST → signed receipt latency of that delivery. The delivery hop is split
 * once more by the attempt's `attemptedAt` (its delivery-results record, stamped just before the
 * request is signed and sent): `delivery: to attempt` (fetch, the row insert, the wait for one of
 * the endpoint's `maxConcurrency` slots) and `delivery: attempt → receipt` (sign, send, the
 * receiver reading it). Results still on their way when the run ends are missing from that split.
 */
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { Topics } from '@hookstream/contracts';

export const HOP_NAMES = ['gateway', 'validator', 'enricher', 'automation', 'delivery'] as const;
export type HopName = (typeof HOP_NAMES)[number];
const EVENT_TOPICS = [Topics.eventsRaw, Topics.eventsValid, Topics.eventsEnriched] as const;
const TOPICS = [...EVENT_TOPICS, Topics.deliveries, Topics.deliveryResults];

/** High watermark per topic and partition. */
export type TopicMarks = Map<string, Map<number, number>>;

/** One signed request as the receiver saw it. */
export interface Receipt { webhookId: string; at: number; receivedAt: number }

export interface HopStats { p50: number; p90: number; p99: number; mean: number }
export interface HopBreakdown {
  /** Deliveries whose every hop was found (the rest are counted in `unmatched`). */
  matched: number;
  unmatched: number;
  hops: Record<HopName, HopStats>;
  /** Sum of the five hops (= receipt − receivedAt of the matched deliveries). */
  total: HopStats;
  /** Mean of each hop over the slowest 1 % of deliveries (by total): what the p99 is made of. */
  slowestPercentMean: Record<HopName, number>;
  /** When the slowest 1 % were POSTed, seconds into the run (distinct, 0.1 s): one stall, or spread out. */
  slowestPercentAt: number[];
  /** The delivery hop split at the first attempt's `attemptedAt` (deliveries whose result was read). */
  deliverySplit: { samples: number; toAttempt: HopStats; attemptToReceipt: HopStats };
}

export async function topicMarks(kafka: Kafka): Promise<TopicMarks> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out: TopicMarks = new Map();
    for (const t of TOPICS) out.set(t, new Map((await admin.fetchTopicOffsets(t)).map((o) => [o.partition, Number(o.high)])));
    return out;
  } finally {
    await admin.disconnect();
  }
}

interface TopicTimes {
  /** Per event topic: event id → CreateTime of its first record. */
  events: Map<string, Map<string, number>>;
  /** webhook id → the deliveries record's CreateTime and event id. */
  deliveries: Map<string, { at: number; eventId: string }>;
  /** webhook id → `attemptedAt` of its first attempt (delivery-results). */
  attempts: Map<string, number>;
}

/** Reads what every topic gained between two marks (a throwaway group, its offsets set to `from`). */
async function readRange(kafka: Kafka, from: TopicMarks, to: TopicMarks, timeoutMs = 30_000): Promise<TopicTimes> {
  const times: TopicTimes = { events: new Map(EVENT_TOPICS.map((t) => [t, new Map()])), deliveries: new Map(), attempts: new Map() };
  const left = new Map<string, number>();
  for (const [t, parts] of to) for (const [p, high] of parts) if (high > (from.get(t)?.get(p) ?? high)) left.set(`${t}|${p}`, high);
  if (left.size === 0) return times;
  const groupId = `hookstream-bench-hops-${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, maxBytes: 32 * 1024 * 1024 });
  try {
    for (const [t, parts] of from) await admin.setOffsets({ groupId, topic: t, partitions: [...parts].map(([partition, offset]) => ({ partition, offset: String(offset) })) });
    await consumer.connect();
    await consumer.subscribe({ topics: TOPICS, fromBeginning: false });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hop breakdown: topics not read to their end within ${timeoutMs} ms (${left.size} partitions left)`)), timeoutMs);
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const key = `${batch.topic}|${batch.partition}`;
          const end = left.get(key);
          const events = times.events.get(batch.topic);
          for (const m of batch.messages) {
            if (end === undefined || Number(m.offset) >= end) break;
            const at = Number(m.timestamp);
            if (events) {
              const id = m.headers?.['ce_id']?.toString();
              if (id && !events.has(id)) events.set(id, at);
            } else if (m.value && batch.topic === Topics.deliveries) {
              const v = JSON.parse(m.value.toString()) as { webhookId?: string; eventId?: string };
              if (v.webhookId && v.eventId && !times.deliveries.has(v.webhookId)) times.deliveries.set(v.webhookId, { at, eventId: v.eventId });
            } else if (m.value) {
              const v = JSON.parse(m.value.toString()) as { webhookId?: string; attempt?: number; attemptedAt?: string };
              if (v.webhookId && v.attempt === 1 && v.attemptedAt) times.attempts.set(v.webhookId, Date.parse(v.attemptedAt));
            }
          }
          const last = batch.messages[batch.messages.length - 1];
          if (end !== undefined && last && Number(last.offset) + 1 >= end) left.delete(key);
          if (left.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  return times;
}

function stats(values: number[]): HopStats {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
  return { p50: at(50), p90: at(90), p99: at(99), mean: s.length ? Math.round((s.reduce((a, b) => a + b, 0) / s.length) * 10) / 10 : NaN };
}

/** The per-hop figures of the deliveries received in a run, from the topics' records between `from` and `to`. */
export async function hopBreakdown(kafka: Kafka, from: TopicMarks, to: TopicMarks, receipts: Receipt[]): Promise<HopBreakdown> {
  const times = await readRange(kafka, from, to);
  const [raw, valid, enriched] = EVENT_TOPICS.map((t) => times.events.get(t) as Map<string, number>);
  const rows: number[][] = [];
  const postedAt: number[] = [];
  const toAttempt: number[] = [];
  const attemptToReceipt: number[] = [];
  let unmatched = 0;
  for (const r of receipts) {
    const d = times.deliveries.get(r.webhookId);
    const tRaw = d ? raw?.get(d.eventId) : undefined;
    const tValid = d ? valid?.get(d.eventId) : undefined;
    const tEnriched = d ? enriched?.get(d.eventId) : undefined;
    if (!d || tRaw === undefined || tValid === undefined || tEnriched === undefined) {
      unmatched++;
      continue;
    }
    postedAt.push(r.receivedAt);
    rows.push([tRaw - r.receivedAt, tValid - tRaw, tEnriched - tValid, d.at - tEnriched, r.at - d.at]);
    const attemptedAt = times.attempts.get(r.webhookId);
    if (attemptedAt !== undefined) {
      toAttempt.push(attemptedAt - d.at);
      attemptToReceipt.push(r.at - attemptedAt);
    }
  }
  const hops = Object.fromEntries(HOP_NAMES.map((h, i) => [h, stats(rows.map((row) => row[i] as number))])) as Record<HopName, HopStats>;
  const totals = rows.map((row) => row.reduce((a, b) => a + b, 0));
  const order = totals.map((t, i) => [t, i] as const).sort((a, b) => b[0] - a[0]);
  const slow = order.slice(0, Math.max(1, Math.ceil(order.length / 100))).map(([, i]) => rows[i] as number[]);
  const t0 = Math.min(...postedAt);
  const slowestPercentAt = [...new Set(order.slice(0, slow.length).map(([, i]) => Math.round(((postedAt[i] as number) - t0) / 100) / 10))].sort((a, b) => a - b);
  const slowestPercentMean = Object.fromEntries(HOP_NAMES.map((h, i) => [h, slow.length ? Math.round(slow.reduce((a, row) => a + (row[i] as number), 0) / slow.length) : NaN])) as Record<HopName, number>;
  return { matched: rows.length, unmatched, hops, total: stats(totals), slowestPercentMean, slowestPercentAt, deliverySplit: { samples: toAttempt.length, toAttempt: stats(toAttempt), attemptToReceipt: stats(attemptToReceipt) } };
}

/** Markdown rows of one load point's breakdown. */
export function hopMarkdown(load: string, rate: number, b: HopBreakdown): string[] {
  return [
    `| ${load} (${rate}/s) | ${HOP_NAMES.map((h) => `${b.hops[h].p50} / ${b.hops[h].p99}`).join(' | ')} | ${b.total.p50} / ${b.total.p99} |`,
    `| ↳ slowest 1 %, mean | ${HOP_NAMES.map((h) => String(b.slowestPercentMean[h])).join(' | ')} | ${b.matched} matched, ${b.unmatched} not; POSTed at ${b.slowestPercentAt.join(', ')} s |`,
    `| ↳ delivery split | ${HOP_NAMES.slice(0, -1).map(() => '').join(' | ')} | to attempt ${b.deliverySplit.toAttempt.p50} / ${b.deliverySplit.toAttempt.p99}, attempt → receipt ${b.deliverySplit.attemptToReceipt.p50} / ${b.deliverySplit.attemptToReceipt.p99} | ${b.deliverySplit.samples} results read |`,
  ];
}

export const HOP_TABLE_HEAD = [
  `| load | ${HOP_NAMES.join(' | ')} | total |`,
  `|---|${HOP_NAMES.map(() => '---|').join('')}---|`,
];
