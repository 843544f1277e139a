import './tracing';
import { loadConfig } from '@hookstream/config';
import { exitOnBootError, runApp } from '@hookstream/platform';
import { ConsumerGroups } from '@hookstream/contracts';
import { AppModule } from './app.module';
import { assertDeliveryConfig, DeliveryConfig } from './delivery.config';

async function main(): Promise<void> {
  const config = loadConfig(DeliveryConfig);
  assertDeliveryConfig(config);
  await runApp({
    appName: 'delivery',
    module: AppModule.register(config),
    config,
    consumer: { groupId: ConsumerGroups.delivery, maxBatchSize: 500 },
  });
}

main().catch(exitOnBootError('delivery'));
