import { Module } from '@nestjs/common';
import { ConfigCacheModule } from './config-cache/config-cache.module';
import { OutboundModule } from './outbound/outbound.module';
import { AttemptService } from './attempts/attempt.service';
import { DeliveriesConsumer } from './intake/deliveries.consumer';
import { DeliveriesRepository } from './storage/deliveries.repository';
import { DeliveryIntakeService } from './intake/delivery-intake.service';
import { DeliveryDispatcher } from './dispatch/delivery.dispatcher';
import { DeliveryRetentionService } from './storage/delivery-retention.service';
import { DeliveryScheduler } from './scheduling/delivery.scheduler';
import { DeliveryMetrics } from './scheduling/delivery.metrics';
import { EndpointBacklogService } from './scheduling/endpoint-backlog.service';
import { ResultsPublisher } from './attempts/results.publisher';

@Module({
  imports: [ConfigCacheModule, OutboundModule],
  controllers: [DeliveriesConsumer],
  providers: [DeliveriesRepository, ResultsPublisher, AttemptService, DeliveryDispatcher, DeliveryIntakeService, DeliveryScheduler, EndpointBacklogService, DeliveryRetentionService, DeliveryMetrics],
  exports: [AttemptService, DeliveryIntakeService, DeliveryDispatcher, DeliveryScheduler, EndpointBacklogService, DeliveryRetentionService],
})
export class DeliveriesModule {}
