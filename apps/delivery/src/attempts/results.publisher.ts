import { Inject, Injectable } from '@nestjs/common';
import { childTraceparent, IdPrefix, stableId, Topics, type DeliveryResultDto } from '@hookstream/contracts';
import { EVENT_PRODUCER, type EventProducer } from '@hookstream/kafka';

export const RESULT_EVENT_TYPES = {
  attempted: 'hookstream.delivery.attempted',
  /** The same result message, typed so control-api can apply the disable without reading outcomes. */
  endpointDisabled: 'hookstream.endpoint.disabled',
} as const;

/** Every attempt's outcome on `delivery-results`, keyed by endpointId. */
@Injectable()
export class ResultsPublisher {
  constructor(@Inject(EVENT_PRODUCER) private readonly producer: EventProducer) {}

  async publish(result: DeliveryResultDto, traceparent?: string): Promise<void> {
    await this.producer.send(Topics.deliveryResults, [
      {
        key: result.endpointId,
        value: result,
        envelope: {
          // Stable per (delivery, attempt): consumers can drop a republished duplicate by ce_id.
          id: stableId(IdPrefix.attempt, result.deliveryId, String(result.attempt)),
          type: result.outcome === 'endpoint_disabled' ? RESULT_EVENT_TYPES.endpointDisabled : RESULT_EVENT_TYPES.attempted,
          source: `/endpoints/${result.endpointId}`,
          time: result.attemptedAt,
          traceparent: childTraceparent(traceparent),
        },
      },
    ]);
  }
}
