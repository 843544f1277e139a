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
    // deferredLimit: a batch whose direct attempt hangs holds its partition's commit for at most
    // DELIVERY_DIRECT_WAIT_MS, and the records settled behind it count as pending until then; at
    // 3,500 deliveries/s that is ~10,000. The limit must not make the other endpoints wait for it.
    // What stays pending costs a few bytes each (the work itself is bounded by the dispatcher's
    // queues); after a crash it is read again, and its rows make it a no-op.
    consumer: { groupId: ConsumerGroups.delivery, maxBatchSize: 500, deferredLimit: 50_000 },
  });
}

main().catch(exitOnBootError('delivery'));
