import { DynamicModule, Module } from '@nestjs/common';
import { ConfigStoreModule } from './config-store.module';
import { DeliveryResultsConsumer } from './delivery-results.consumer';
import { ENDPOINT_HEALTH_SETTINGS, type EndpointHealthSettings } from './endpoint-health.settings';
import { EndpointHealthService } from './endpoint-health.service';

/**
 * Endpoint health: the consumer of `delivery-results` (in the app's grouped transport), the
 * `endpoint_health` upsert and the automatic disable. apps/projector runs it; nothing else
 * consumes delivery results.
 */
@Module({})
export class EndpointHealthModule {
  static register(settings: EndpointHealthSettings): DynamicModule {
    return {
      module: EndpointHealthModule,
      imports: [ConfigStoreModule],
      controllers: [DeliveryResultsConsumer],
      providers: [{ provide: ENDPOINT_HEALTH_SETTINGS, useValue: settings }, EndpointHealthService],
      exports: [EndpointHealthService],
    };
  }
}
