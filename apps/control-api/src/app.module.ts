import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { CoreModule } from '@hookstream/platform';
import { AccountsModule } from './accounts/accounts.module';
import { AutomationsModule } from './automations/automations.module';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { apiValidationPipe } from './common/validation';
import { ConfigPublisherModule } from './config-publisher/config-publisher.module';
import type { ControlApiConfig } from './control-api.config';
import { EndpointsModule } from './endpoints/endpoints.module';
import { SourcesModule } from './sources/sources.module';

export const APP_NAME = 'control-api';

@Module({})
export class AppModule {
  static register(config: ControlApiConfig, opts: { appName?: string } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot({ appName: opts.appName ?? APP_NAME, config, database: true }),
        ConfigPublisherModule,
        AccountsModule,
        SourcesModule,
        EndpointsModule,
        AutomationsModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_PIPE, useFactory: apiValidationPipe },
      ],
    };
  }
}
