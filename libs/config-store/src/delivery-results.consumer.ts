import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { DeliveryResultDto, Topics } from '@hookstream/contracts';
import { PermanentMessageError, type InboundMessage } from '@hookstream/kafka';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { EndpointHealthService } from './endpoint-health.service';

@Controller()
export class DeliveryResultsConsumer {
  constructor(private readonly health: EndpointHealthService) {}

  @EventPattern(Topics.deliveryResults, { batch: true })
  async onResults(@Payload() messages: InboundMessage[]): Promise<void> {
    const results = messages.map((m) => {
      const dto = plainToInstance(DeliveryResultDto, m.value ?? {});
      const problems = validateSync(dto).flatMap((e) => Object.values(e.constraints ?? {}));
      if (problems.length > 0) throw new PermanentMessageError(`${m.topic}[${m.partition}]@${m.offset}: ${problems.join('; ')}`);
      return dto;
    });
    await this.health.applyResults(results);
  }
}
