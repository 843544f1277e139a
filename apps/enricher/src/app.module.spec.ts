import { loadConfig } from '@hookstream/config';
import { topicsConsumedBy } from '@hookstream/contracts';
import { handlerTopics } from '@hookstream/kafka';
import { AppModule } from './app.module';
import { EnricherConfig } from './enricher.config';

describe('enricher subscriptions', () => {
  it('handle exactly the topics its published contracts say its group consumes', () => {
    const topics = handlerTopics(AppModule.register(loadConfig(EnricherConfig, { HOOKSTREAM_DEV_INSECURE_KEYS: 'true' })));
    expect(topics.length).toBeGreaterThan(0);
    expect(topics).toEqual(topicsConsumedBy('enricher'));
  });
});
