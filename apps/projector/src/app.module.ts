import { DynamicModule, Module } from '@nestjs/common';
import { EndpointHealthModule } from '@hookstream/config-store';
import { DlqRecorderModule } from '@hookstream/dlq-store';
import { FeedProjectionModule } from '@hookstream/feed-store';
import { CoreModule } from '@hookstream/platform';
import { FeedMetrics } from './feed.metrics';
import type { ProjectorConfig } from './projector.config';

export const APP_NAME = 'projector';

@Module({})
export class AppModule {
  static register(config: ProjectorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot({ appName: APP_NAME, config, database: true }),
        FeedProjectionModule.register(config),
        EndpointHealthModule.register(config),
        DlqRecorderModule.register(config),
      ],
      providers: [FeedMetrics],
    };
  }
}
