import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CoreModule } from '@hookstream/platform';
import type { GatewayConfig } from './gateway.config';
import { GatewayExceptionFilter } from './hooks/gateway.errors';
import { HooksController } from './hooks/hooks.controller';
import { IngestService } from './hooks/ingest.service';
import { SourceCache } from './sources/source-cache.service';

@Module({})
export class AppModule {
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot({ appName: 'ingest-gateway', config, database: false, logRequests: false, producerSendTimeoutMs: config.PRODUCE_TIMEOUT_MS })],
      controllers: [HooksController],
      providers: [SourceCache, IngestService, { provide: APP_FILTER, useClass: GatewayExceptionFilter }],
    };
  }
}
