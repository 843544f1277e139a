import { Module } from '@nestjs/common';
import { ConfigCacheModule } from '../config-cache/config-cache.module';
import { OutboundModule } from '../outbound/outbound.module';
import { AttemptService } from './attempt.service';
import { DeliveriesConsumer } from './deliveries.consumer';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveriesService } from './deliveries.service';
import { DeliveryDispatcher } from './delivery-dispatcher.service';
import { DeliveryRetentionService } from './delivery-retention.service';
import { DeliveryScheduler } from './delivery-scheduler.service';
import { DeliveryGauges } from './delivery.metrics';
import { EndpointBacklogService } from './endpoint-backlog.service';
import { ResultsPublisher } from './results.publisher';

@Module({
  imports: [ConfigCacheModule, OutboundModule],
  controllers: [DeliveriesConsumer],
  providers: [DeliveriesRepository, ResultsPublisher, AttemptService, DeliveryDispatcher, DeliveriesService, DeliveryScheduler, EndpointBacklogService, DeliveryRetentionService, DeliveryGauges],
  exports: [AttemptService, DeliveriesService, DeliveryDispatcher, DeliveryScheduler, EndpointBacklogService, DeliveryRetentionService],
})
export class DeliveriesModule {}
