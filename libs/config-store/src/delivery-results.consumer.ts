import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topics } from '@hookstream/contracts';
import { PermanentMessageError, type InboundMessage } from '@hookstream/kafka';
import { healthResultOf, healthResultProblems } from './delivery-result.check';
import { EndpointHealthService } from './endpoint-health.service';

@Controller()
export class DeliveryResultsConsumer {
  constructor(private readonly health: EndpointHealthService) {}

  @EventPattern(Topics.deliveryResults, { batch: true })
  async onResults(@Payload() messages: InboundMessage[]): Promise<void> {
    const results = messages.map((m) => {
      const problems = healthResultProblems(m.value);
      if (problems.length > 0) throw new PermanentMessageError(`${m.topic}[${m.partition}]@${m.offset}: ${problems.join('; ')}`);
      return healthResultOf(m.value as Record<string, unknown>);
    });
    await this.health.applyResults(results);
  }
}
