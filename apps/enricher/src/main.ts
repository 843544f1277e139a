import './tracing';
import { loadConfig } from '@hookstream/config';
import { exitOnBootError, runApp } from '@hookstream/platform';
import { ConsumerGroups } from '@hookstream/contracts';
import { AppModule } from './app.module';
import { EnricherConfig } from './enricher.config';

async function main(): Promise<void> {
  const config = loadConfig(EnricherConfig);
  await runApp({ appName: 'enricher', module: AppModule.register(config), config, consumer: { groupId: ConsumerGroups.enricher, maxBatchSize: 1000 } });
}

main().catch(exitOnBootError('enricher'));
