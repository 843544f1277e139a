import { Module } from '@nestjs/common';
import { ConfigPublisherService } from './config-publisher.service';

@Module({ providers: [ConfigPublisherService], exports: [ConfigPublisherService] })
export class ConfigPublisherModule {}
