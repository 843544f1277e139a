import { Module } from '@nestjs/common';
import { DeliveriesModule } from '../deliveries/deliveries.module';
import { EndpointsModule } from '../endpoints/endpoints.module';
import { InternalTokenGuard } from './internal-token.guard';
import { SampleController } from './sample.controller';

@Module({
  imports: [DeliveriesModule, EndpointsModule],
  controllers: [SampleController],
  providers: [InternalTokenGuard],
})
export class SampleModule {}
