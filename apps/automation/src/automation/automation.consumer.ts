import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { CONTACT_EVENT_HEADERS, Topics, type CanonicalEvent } from '@hookstream/contracts';
import type { InboundMessage } from '@hookstream/kafka';
import { countSkipped } from './automation.metrics';
import { AutomationService, PLANNED_BY } from './automation.service';

@Controller()
export class AutomationConsumer {
  constructor(private readonly automation: AutomationService) {}

  @EventPattern(Topics.eventsEnriched, { batch: true })
  async onEnriched(@Payload() messages: InboundMessage<CanonicalEvent>[]): Promise<void> {
    await this.automation.process(messages);
  }
}

/**
 * Registered unless AUTOMATION_CONSUME_CONTACT_EVENTS=false; with 'auto' (the default) the topic is
 * subscribed to only by a group that committed there before: see AutomationConfig and `automationConsumer`.
 */
@Controller()
export class ContactEventsConsumer {
  constructor(private readonly automation: AutomationService) {}

  /**
   * Contact events come back around so subscriptions and rules can react to them (loop guard applies).
   * Those this app published were planned with their cause: the transport commits past them on the
   * `hookstream_planned` header alone, before parsing them (the service still skips any that get through).
   */
  @EventPattern(Topics.contactEvents, { batch: true, skipHeader: { name: CONTACT_EVENT_HEADERS.planned, value: PLANNED_BY, counted: countSkipped } })
  async onContactEvent(@Payload() messages: InboundMessage<CanonicalEvent>[]): Promise<void> {
    await this.automation.process(messages);
  }
}
