import './tracing';
import { loadConfig } from '@hookstream/config';
import { exitOnBootError, runApp } from '@hookstream/platform';
import { ConsumerGroups } from '@hookstream/contracts';
import { AppModule } from './app.module';
import { ValidatorConfig } from './validator.config';

async function main(): Promise<void> {
  const config = loadConfig(ValidatorConfig);
  await runApp({ appName: 'validator', module: AppModule.register(config), config, consumer: { groupId: ConsumerGroups.validator, maxBatchSize: 500 } });
}

main().catch(exitOnBootError('validator'));
