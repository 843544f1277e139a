import { Module } from '@nestjs/common';
import { ConfigStoreModule } from '@hookstream/config-store';
import { DeliveryRecordsRepository } from '@hookstream/delivery-store';
import { AuthModule } from '../auth/auth.module';
import { EndpointsModule } from '../endpoints/endpoints.module';
import { DeliveriesController, EndpointDeliveriesController } from './deliveries.controller';
import { DeliveriesService } from './deliveries.service';

@Module({
  imports: [AuthModule, EndpointsModule, ConfigStoreModule],
  controllers: [DeliveriesController, EndpointDeliveriesController],
  providers: [DeliveryRecordsRepository, DeliveriesService],
  exports: [DeliveryRecordsRepository],
})
export class DeliveriesModule {}
