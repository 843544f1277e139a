import { Module } from '@nestjs/common';
import { EndpointCache } from './endpoint-cache.service';

@Module({ providers: [EndpointCache], exports: [EndpointCache] })
export class EndpointsModule {}
