import { Module } from '@nestjs/common';
import { EndpointCache } from './endpoint.cache';

@Module({ providers: [EndpointCache], exports: [EndpointCache] })
export class ConfigCacheModule {}
