import { Module } from '@nestjs/common';
import { DeliveriesModule } from '../deliveries/deliveries.module';
import { EndpointsModule } from '../endpoints/endpoints.module';
import { InternalServer } from './internal-server';
import { SampleService } from './sample.service';

@Module({
  imports: [DeliveriesModule, EndpointsModule],
  providers: [SampleService, InternalServer],
  exports: [InternalServer],
})
export class SampleModule {}
