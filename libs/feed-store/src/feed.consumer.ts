import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topics } from '@hookstream/contracts';
import { DeferredCommit, PermanentMessageError, type InboundMessage } from '@hookstream/kafka';
import { feedRowOf, InvalidFeedMessage } from './feed-messages';
import type { FeedRow } from './feed-rows';
import { FeedWriterService } from './feed-writer.service';

/**
 * The feed writer: grouped consumer (`hookstream-projector`), so each event is written by one
 * replica. One upsert statement per batch per topic; see FeedRepository.upsert for why the order
 * the four topics are consumed in does not matter.
 */
@Controller()
export class FeedConsumer {
  constructor(private readonly feed: FeedWriterService) {}

  /** Raw rows are held for their verdict (FEED_RAW_HOLD_MS); the commit waits for them, the fetches do not. */
  @EventPattern(Topics.eventsRaw, { batch: true, deferCommit: true })
  async onRaw(@Payload() messages: InboundMessage[]): Promise<DeferredCommit> {
    const { settled } = await this.feed.hold(this.rows(Topics.eventsRaw, messages));
    return new DeferredCommit(settled);
  }

  @EventPattern(Topics.eventsEnriched, { batch: true })
  async onEnriched(@Payload() messages: InboundMessage[]): Promise<void> {
    await this.feed.write(this.rows(Topics.eventsEnriched, messages));
  }

  @EventPattern(Topics.eventsRejected, { batch: true })
  async onRejected(@Payload() messages: InboundMessage[]): Promise<void> {
    await this.feed.write(this.rows(Topics.eventsRejected, messages));
  }

  @EventPattern(Topics.eventsDuplicate, { batch: true })
  async onDuplicate(@Payload() messages: InboundMessage[]): Promise<void> {
    await this.feed.write(this.rows(Topics.eventsDuplicate, messages));
  }

  /** An invalid message goes to its topic's DLQ (the transport isolates it from its batch), events.duplicate's too. */
  private rows(topic: string, messages: InboundMessage[]): FeedRow[] {
    const rows: FeedRow[] = [];
    for (const m of messages) {
      try {
        rows.push(feedRowOf(topic, m.value));
      } catch (err) {
        if (!(err instanceof InvalidFeedMessage)) throw err;
        throw new PermanentMessageError(`${topic}[${m.partition}]@${m.offset}: ${err.message}`);
      }
    }
    return rows;
  }
}
