import './tracing';
import { loadConfig } from '@hookstream/config';
import { ConsumerGroups } from '@hookstream/contracts';
import { exitOnBootError, runApp } from '@hookstream/platform';
import { APP_NAME, AppModule } from './app.module';
import { ProjectorConfig } from './projector.config';

async function main(): Promise<void> {
  const config = loadConfig(ProjectorConfig);
  // One grouped consumer writes the feed: each event is written by one replica. Fewer, larger
  // batches than the pipeline stages (PROJECTOR_FETCH_LINGER_MS): nothing downstream waits on it.
  await runApp({
    appName: APP_NAME,
    module: AppModule.register(config),
    config,
    consumer: {
      groupId: ConsumerGroups.projector,
      maxBatchSize: 500,
      fetchLingerMs: config.PROJECTOR_FETCH_LINGER_MS,
      fetchLingerBelow: 500,
      partitionsConsumedConcurrently: config.PROJECTOR_PARTITIONS_CONCURRENTLY,
    },
  });
}

main().catch(exitOnBootError(APP_NAME));
