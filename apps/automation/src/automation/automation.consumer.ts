import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topics, type CanonicalEvent } from '@hookstream/contracts';
import type { InboundMessage } from '@hookstream/kafka';
import { AutomationService } from './automation.service';

@Controller()
export class AutomationConsumer {
  constructor(private readonly automation: AutomationService) {}

  @EventPattern(Topics.eventsEnriched, { batch: true })
  async onEnriched(@Payload() messages: InboundMessage<CanonicalEvent>[]): Promise<void> {
    await this.automation.process(messages);
  }

  /** Contact events come back around so subscriptions and rules can react to them (loop guard applies). */
  @EventPattern(Topics.contactEvents, { batch: true })
  async onContactEvent(@Payload() messages: InboundMessage<CanonicalEvent>[]): Promise<void> {
    await this.automation.process(messages);
  }
}
