import { DynamicModule, Module } from '@nestjs/common';
import { CoreModule } from '@hookstream/platform';
import { DeliveriesModule } from './deliveries.module';
import type { DeliveryConfig } from './delivery.config';
import { SampleModule } from './sample/sample.module';

@Module({})
export class AppModule {
  static register(config: DeliveryConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot({ appName: 'delivery', config, database: true }), DeliveriesModule, SampleModule],
    };
  }
}
