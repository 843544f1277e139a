import { DynamicModule, Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AppModule } from '../app.module';
import { ConfigStoreModule } from '@hookstream/config-store';
import type { ControlApiConfig } from '../control-api.config';
import { EndpointsModule } from '../endpoints/endpoints.module';
import { SourcesModule } from '../sources/sources.module';
import { DemoSeed } from './demo-seed';

/** The API's own services, without HTTP: the CLI changes configuration exactly as the API does. */
@Module({})
export class CliModule {
  static register(config: ControlApiConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [AppModule.register(config, { appName: 'control-api-cli', readSide: false }), AccountsModule, SourcesModule, EndpointsModule, ConfigStoreModule],
      providers: [DemoSeed],
    };
  }
}
