import { ConfigValidationError, loadConfig } from '@hookstream/config';
import { Topics, topicsConsumedBy } from '@hookstream/contracts';
import { handlerTopics } from '@hookstream/kafka';
import { AppModule, automationConsumer } from './app.module';
import { AutomationConfig } from './automation.config';

const BASE: NodeJS.ProcessEnv = { HOOKSTREAM_DEV_INSECURE_KEYS: 'true' };

/** The topics the app's controllers subscribe to (their @EventPattern metadata). */
function subscribedTopics(env: NodeJS.ProcessEnv): string[] {
  return handlerTopics(AppModule.register(loadConfig(AutomationConfig, { ...BASE, ...env })));
}

describe('automation subscriptions', () => {
  it('handle exactly the topics its published contracts say its group consumes', () => {
    expect(subscribedTopics({})).toEqual(topicsConsumedBy('automation'));
  });
});

describe('AUTOMATION_CONSUME_CONTACT_EVENTS', () => {
  const consumer = (env: NodeJS.ProcessEnv) => automationConsumer(loadConfig(AutomationConfig, { ...BASE, ...env }));

  it("by default ('auto') handles contact-events, subscribed only by a group that committed there before", () => {
    expect(subscribedTopics({})).toEqual([Topics.contactEvents, Topics.eventsEnriched].sort());
    expect(consumer({}).consumeOnlyIfCommitted).toEqual([Topics.contactEvents]);
  });

  it("'true' always consumes contact-events; 'false' has no handler for it", () => {
    expect(subscribedTopics({ AUTOMATION_CONSUME_CONTACT_EVENTS: 'true' })).toEqual(subscribedTopics({}));
    expect(consumer({ AUTOMATION_CONSUME_CONTACT_EVENTS: 'true' }).consumeOnlyIfCommitted).toEqual([]);
    expect(subscribedTopics({ AUTOMATION_CONSUME_CONTACT_EVENTS: 'false' })).toEqual([Topics.eventsEnriched]);
  });

  it('refuses any other value', () => {
    let problems: string[] = [];
    try {
      loadConfig(AutomationConfig, { ...BASE, AUTOMATION_CONSUME_CONTACT_EVENTS: 'no' });
    } catch (e) {
      if (!(e instanceof ConfigValidationError)) throw e;
      problems = e.problems;
    }
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('AUTOMATION_CONSUME_CONTACT_EVENTS');
  });
});
