import { Module } from '@nestjs/common';
import { ConfigPublisherService } from './config-publisher.service';
import { EndpointAutoDisableService } from './endpoint-auto-disable.service';
import { EndpointHealthRepository } from './endpoint-health.repository';
import { EndpointsRepository } from './endpoints.repository';

/** One instance of each per app: control-api's API and apps/projector's endpoint health import it. */
@Module({
  providers: [ConfigPublisherService, EndpointsRepository, EndpointHealthRepository, EndpointAutoDisableService],
  exports: [ConfigPublisherService, EndpointsRepository, EndpointHealthRepository, EndpointAutoDisableService],
})
export class ConfigStoreModule {}
