import './tracing';
import { loadConfig } from '@hookstream/config';
import { exitOnBootError, runApp } from '@hookstream/platform';
import { ConsumerGroups } from '@hookstream/contracts';
import { APP_NAME, AppModule } from './app.module';
import { ControlApiConfig } from './control-api.config';
import { configureHttp } from './http-setup';

async function main(): Promise<void> {
  const config = loadConfig(ControlApiConfig);
  await runApp({
    appName: APP_NAME,
    module: AppModule.register(config),
    config,
    // The grouped consumer writes the feed and applies delivery results (one replica per partition);
    // the live stream has its own per-process tail consumer (FeedStreamService).
    consumer: { groupId: ConsumerGroups.controlApi, maxBatchSize: 500 },
    configure: (app) => configureHttp(app),
  });
}

main().catch(exitOnBootError(APP_NAME));
