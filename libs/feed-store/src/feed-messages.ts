import { Topics, type CanonicalEvent, type DuplicateEvent, type RawEventDto, type RejectedEvent } from '@hookstream/contracts';
import { rowFromDuplicate, rowFromEnriched, rowFromRaw, rowFromRejected, type FeedRow } from './feed-rows';

/** The topics the feed is made of. */
export const FEED_TOPICS = [Topics.eventsRaw, Topics.eventsEnriched, Topics.eventsRejected, Topics.eventsDuplicate] as const;
export type FeedTopic = (typeof FEED_TOPICS)[number];

export class InvalidFeedMessage extends Error {
  override readonly name = 'InvalidFeedMessage';
}

const EVENT_ID = /^evt_[0-9a-z]+$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Just what the feed relies on: the key of the row (id, receivedAt) and its owner. The stages that
 * produced these messages validated them in full; a stricter check here would only let a
 * harmless contract extension hide events from the feed.
 */
function checkEventCore(v: unknown, what: string): void {
  if (!isObject(v)) throw new InvalidFeedMessage(`${what} is not an object`);
  if (typeof v['id'] !== 'string' || !EVENT_ID.test(v['id'])) throw new InvalidFeedMessage(`${what}.id is not an event id`);
  if (typeof v['accountId'] !== 'string' || v['accountId'] === '') throw new InvalidFeedMessage(`${what}.accountId is missing`);
  if (typeof v['sourceId'] !== 'string' || v['sourceId'] === '') throw new InvalidFeedMessage(`${what}.sourceId is missing`);
  if (typeof v['receivedAt'] !== 'string' || Number.isNaN(Date.parse(v['receivedAt']))) throw new InvalidFeedMessage(`${what}.receivedAt is not a time`);
}

/** The feed row a message of one of the feed topics stands for; throws InvalidFeedMessage. */
export function feedRowOf(topic: string, value: unknown): FeedRow {
  switch (topic) {
    case Topics.eventsRaw:
      checkEventCore(value, 'raw event');
      return rowFromRaw(value as RawEventDto);
    case Topics.eventsEnriched:
      checkEventCore(value, 'canonical event');
      if (typeof (value as Record<string, unknown>)['type'] !== 'string') throw new InvalidFeedMessage('canonical event.type is missing');
      return rowFromEnriched(value as CanonicalEvent);
    case Topics.eventsRejected: {
      if (!isObject(value)) throw new InvalidFeedMessage('rejected event is not an object');
      checkEventCore(value['raw'], 'rejected event.raw');
      if (!Array.isArray(value['reasons'])) throw new InvalidFeedMessage('rejected event.reasons is not a list');
      return rowFromRejected(value as unknown as RejectedEvent);
    }
    case Topics.eventsDuplicate: {
      if (!isObject(value)) throw new InvalidFeedMessage('duplicate event is not an object');
      checkEventCore(value['raw'], 'duplicate event.raw');
      if (typeof value['originalEventId'] !== 'string') throw new InvalidFeedMessage('duplicate event.originalEventId is missing');
      return rowFromDuplicate(value as unknown as DuplicateEvent);
    }
    default:
      throw new InvalidFeedMessage(`${topic} is not a feed topic`);
  }
}
