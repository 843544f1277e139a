import { Module } from '@nestjs/common';
import { DeliveriesModule } from '../deliveries.module';
import { ConfigCacheModule } from '../config-cache/config-cache.module';
import { InternalServer } from './internal-server';
import { SampleService } from './sample.service';

@Module({
  imports: [DeliveriesModule, ConfigCacheModule],
  providers: [SampleService, InternalServer],
  exports: [InternalServer],
})
export class SampleModule {}
