import { Module } from '@nestjs/common';
import { EndpointsModule } from '../endpoints/endpoints.module';
import { DeliveryResultsConsumer } from './delivery-results.consumer';
import { EndpointHealthRepository } from './endpoint-health.repository';
import { EndpointHealthService } from './endpoint-health.service';

@Module({
  imports: [EndpointsModule],
  controllers: [DeliveryResultsConsumer],
  providers: [EndpointHealthRepository, EndpointHealthService],
  exports: [EndpointHealthRepository, EndpointHealthService],
})
export class EndpointHealthModule {}
