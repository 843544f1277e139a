import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { EndpointHealthModule } from '../endpoint-health/endpoint-health.module';
import { EndpointsModule } from '../endpoints/endpoints.module';
import { DeliveriesController, EndpointDeliveriesController } from './deliveries.controller';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveriesService } from './deliveries.service';

@Module({
  imports: [AuthModule, EndpointsModule, EndpointHealthModule],
  controllers: [DeliveriesController, EndpointDeliveriesController],
  providers: [DeliveriesRepository, DeliveriesService],
  exports: [DeliveriesRepository],
})
export class DeliveriesModule {}
