import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topics, type CanonicalEvent } from '@hookstream/contracts';
import type { InboundMessage } from '@hookstream/kafka';
import { EnrichmentService } from './enrichment.service';

@Controller()
export class EnrichmentConsumer {
  constructor(private readonly enrichment: EnrichmentService) {}

  @EventPattern(Topics.eventsValid, { batch: true })
  async onValid(@Payload() messages: InboundMessage<CanonicalEvent>[]): Promise<void> {
    await this.enrichment.process(messages);
  }
}
