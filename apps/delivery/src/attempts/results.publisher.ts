import { Inject, Injectable } from '@nestjs/common';
import { childTraceparent, IdPrefix, stableId, Topics, type DeliveryResultDto } from '@hookstream/contracts';
import { EVENT_PRODUCER, type EventProducer, type OutboundMessage } from '@hookstream/kafka';

export const RESULT_EVENT_TYPES = {
  attempted: 'hookstream.delivery.attempted',
  /** The same result message, typed so control-api can apply the disable without reading outcomes. */
  endpointDisabled: 'hookstream.endpoint.disabled',
} as const;

interface Waiting {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Every attempt's outcome on `delivery-results`, keyed by endpointId. The results of the attempts
 * that end in the same event-loop turn go out as ONE producer send (one acknowledgement wait,
 * one timeout timer, one promise) instead of one each; each caller still resolves only once Kafka
 * acknowledged its own result (acks=all), and a failed send fails every result in it, each of
 * which its attempt then retries or leaves unrecorded as before.
 */
@Injectable()
export class ResultsPublisher {
  private messages: OutboundMessage[] = [];
  private waiting: Waiting[] = [];
  private scheduled = false;
  /** Producer sends made, for specs and benchmarks. */
  sends = 0;

  constructor(@Inject(EVENT_PRODUCER) private readonly producer: EventProducer) {}

  publish(result: DeliveryResultDto, traceparent?: string): Promise<void> {
    const message: OutboundMessage = {
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
    };
    return new Promise<void>((resolve, reject) => {
      this.messages.push(message);
      this.waiting.push({ resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    const messages = this.messages;
    const waiting = this.waiting;
    this.messages = [];
    this.waiting = [];
    this.sends++;
    let sent: Promise<void>;
    try {
      sent = this.producer.send(Topics.deliveryResults, messages);
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      () => {
        for (const w of waiting) w.resolve();
      },
      (err: unknown) => {
        for (const w of waiting) w.reject(err);
      },
    );
  }
}
