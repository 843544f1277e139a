import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CoreModule } from '@hookstream/platform';
import type { GatewayConfig } from './gateway.config';
import { GatewayExceptionFilter } from './hooks/gateway.errors';
import { HooksHandler } from './hooks/hooks.handler';
import { IngestMetrics } from './hooks/ingest.metrics';
import { IngestService } from './hooks/ingest.service';
import { SourceCache } from './config-cache/source.cache';

/** The webhook routes are plain Fastify routes (hooks/hooks.http.ts, added by main.ts); Nest serves the rest. */
@Module({})
export class AppModule {
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot({
        appName: 'ingest-gateway', config, database: false, logRequests: false, producerSendTimeoutMs: config.PRODUCE_TIMEOUT_MS,
        producerBacklog: { maxQueuedBytes: config.PRODUCER_MAX_QUEUED_BYTES, maxPendingSends: config.PRODUCER_MAX_PENDING_SENDS },
      })],
      providers: [SourceCache, IngestMetrics, IngestService, HooksHandler, { provide: APP_FILTER, useClass: GatewayExceptionFilter }],
    };
  }
}
