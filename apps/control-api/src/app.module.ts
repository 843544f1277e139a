import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { CoreModule } from '@hookstream/platform';
import { AccountsModule } from './accounts/accounts.module';
import { AutomationsModule } from './automations/automations.module';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { apiValidationPipe } from './common/validation';
import { ConfigStoreModule } from '@hookstream/config-store';
import { ContractsModule } from './contracts/contracts.module';
import type { ControlApiConfig } from './control-api.config';
import { DeliveriesModule } from './deliveries/deliveries.module';
import { DlqModule } from './dlq/dlq.module';
import { EndpointsModule } from './endpoints/endpoints.module';
import { FeedModule } from './feed/feed.module';
import { SourcesModule } from './sources/sources.module';
import { StatsModule } from './stats/stats.module';
import { TestEventsModule } from './test-events/test-events.module';

export const APP_NAME = 'control-api';

@Module({})
export class AppModule {
  /**
   * `readSide: false` leaves out the feed, deliveries and stats modules (the live-stream tail
   * consumer): the CLI only changes configuration.
   */
  static register(config: ControlApiConfig, opts: { appName?: string; readSide?: boolean } = {}): DynamicModule {
    const readSide = opts.readSide ?? true;
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot({ appName: opts.appName ?? APP_NAME, config, database: true }),
        ConfigStoreModule,
        AccountsModule,
        SourcesModule,
        EndpointsModule,
        AutomationsModule,
        ContractsModule,
        DlqModule,
        ...(readSide ? [FeedModule, DeliveriesModule, TestEventsModule, StatsModule] : []),
      ],
      providers: [
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_PIPE, useFactory: apiValidationPipe },
      ],
    };
  }
}
