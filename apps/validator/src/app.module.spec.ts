import { loadConfig } from '@hookstream/config';
import { topicsConsumedBy } from '@hookstream/contracts';
import { handlerTopics } from '@hookstream/kafka';
import { AppModule } from './app.module';
import { ValidatorConfig } from './validator.config';

describe('validator subscriptions', () => {
  it('handle exactly the topics its published contracts say its group consumes', () => {
    const topics = handlerTopics(AppModule.register(loadConfig(ValidatorConfig, { HOOKSTREAM_DEV_INSECURE_KEYS: 'true' })));
    expect(topics.length).toBeGreaterThan(0);
    expect(topics).toEqual(topicsConsumedBy('validator'));
  });
});
