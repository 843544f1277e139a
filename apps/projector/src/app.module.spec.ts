import { loadConfig } from '@hookstream/config';
import { topicsConsumedBy } from '@hookstream/contracts';
import { handlerTopics } from '@hookstream/kafka';
import { AppModule } from './app.module';
import { ProjectorConfig } from './projector.config';

describe('projector subscriptions', () => {
  it('handle exactly the topics its published contracts say its group consumes', () => {
    const topics = handlerTopics(AppModule.register(loadConfig(ProjectorConfig, { HOOKSTREAM_DEV_INSECURE_KEYS: 'true' })));
    expect(topics.length).toBeGreaterThan(0);
    expect(topics).toEqual(topicsConsumedBy('projector'));
  });
});
