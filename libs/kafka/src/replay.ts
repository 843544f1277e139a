import type { KafkaMessage } from 'kafkajs';

/**
 * A DLQ message replayed to its original topic names the one consumer group it is for: topics such
 * as events.raw and events.enriched are read by two groups, and the group that already processed
 * the message must not process it again. Every other group's transport commits past it unread.
 */
export const REPLAY_HEADERS = {
  /** The consumer group id (with its suffix) the replayed record is addressed to. */
  group: 'hookstream_replay_group',
  /** Where it came from: `<dlq topic>/<partition>/<offset>`, for tracing a replay back. */
  of: 'hookstream_replay_of',
} as const;

/** True when the record is a replay addressed to another consumer group than `groupId`. */
export function isReplayForAnotherGroup(m: Pick<KafkaMessage, 'headers'>, groupId: string): boolean {
  const h = m.headers?.[REPLAY_HEADERS.group];
  if (h === undefined) return false;
  const target = (Array.isArray(h) ? h[0] : h)?.toString();
  return target !== undefined && target !== groupId;
}
