import './tracing';
import { loadConfig } from '@hookstream/config';
import { ConsumerGroups } from '@hookstream/contracts';
import { exitOnBootError, runApp } from '@hookstream/platform';
import { APP_NAME, AppModule } from './app.module';
import { ProjectorConfig } from './projector.config';

async function main(): Promise<void> {
  const config = loadConfig(ProjectorConfig);
  // One grouped consumer writes the feed: each event is written by one replica.
  await runApp({ appName: APP_NAME, module: AppModule.register(config), config, consumer: { groupId: ConsumerGroups.projector, maxBatchSize: 500 } });
}

main().catch(exitOnBootError(APP_NAME));
