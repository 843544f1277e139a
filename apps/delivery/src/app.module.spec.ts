import { loadConfig } from '@hookstream/config';
import { topicsConsumedBy } from '@hookstream/contracts';
import { handlerTopics } from '@hookstream/kafka';
import { AppModule } from './app.module';
import { DeliveryConfig } from './delivery.config';

describe('delivery subscriptions', () => {
  it('handle exactly the topics its published contracts say its group consumes', () => {
    const topics = handlerTopics(AppModule.register(loadConfig(DeliveryConfig, { HOOKSTREAM_DEV_INSECURE_KEYS: 'true' })));
    expect(topics.length).toBeGreaterThan(0);
    expect(topics).toEqual(topicsConsumedBy('delivery'));
  });
});
