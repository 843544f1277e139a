import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topics, type RawEventDto } from '@hookstream/contracts';
import type { InboundMessage } from '@hookstream/kafka';
import { ValidationService } from './validation.service';

@Controller()
export class ValidationConsumer {
  private readonly log = new Logger(ValidationConsumer.name);
  constructor(private readonly validation: ValidationService) {}

  @EventPattern(Topics.eventsRaw, { batch: true })
  async onRaw(@Payload() messages: InboundMessage<RawEventDto>[]): Promise<void> {
    const r = await this.validation.process(messages);
    this.log.debug(`batch of ${messages.length}: ${r.valid} valid, ${r.rejected} rejected, ${r.duplicates} duplicate`);
  }
}
