import './tracing';
import { loadConfig } from '@hookstream/config';
import { exitOnBootError, runApp } from '@hookstream/platform';
import { APP_NAME, AppModule } from './app.module';
import { ControlApiConfig } from './control-api.config';
import { configureHttp } from './http-setup';

async function main(): Promise<void> {
  const config = loadConfig(ControlApiConfig);
  await runApp({
    appName: APP_NAME,
    module: AppModule.register(config),
    config,
    // No grouped consumer: apps/projector writes what the API reads (feed, endpoint health, dead
    // letters); the live stream has its own per-process tail consumer (FeedStreamService).
    configure: (app) => configureHttp(app),
  });
}

main().catch(exitOnBootError(APP_NAME));
