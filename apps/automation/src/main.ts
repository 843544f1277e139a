import './tracing';
import { loadConfig } from '@hookstream/config';
import { exitOnBootError, runApp } from '@hookstream/platform';
import { ConsumerGroups } from '@hookstream/contracts';
import { AppModule } from './app.module';
import { AutomationConfig } from './automation.config';

async function main(): Promise<void> {
  const config = loadConfig(AutomationConfig);
  await runApp({ appName: 'automation', module: AppModule.register(config), config, consumer: { groupId: ConsumerGroups.automation, maxBatchSize: 500 } });
}

main().catch(exitOnBootError('automation'));
