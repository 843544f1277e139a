import { DynamicModule, Module } from '@nestjs/common';
import { ConsumerGroups, Topics } from '@hookstream/contracts';
import { CoreModule, type RunAppOptions } from '@hookstream/platform';
import type { AutomationConfig } from './automation.config';
import { AutomationConsumer, ContactEventsConsumer } from './automation/automation.consumer';
import { AutomationService } from './automation/automation.service';
import { ContactsRepository } from './automation/contacts.repository';
import { RulesCache } from './config-cache/rules.cache';

/**
 * The consumer main.ts runs. With AUTOMATION_CONSUME_CONTACT_EVENTS 'auto' the contact-events
 * handler is registered, but the topic is subscribed to only by a group that has a committed
 * offset there, i.e. one an older version ran in; 'true' always subscribes, 'false' registers no handler.
 */
export function automationConsumer(config: AutomationConfig): NonNullable<RunAppOptions['consumer']> {
  return {
    groupId: ConsumerGroups.automation,
    maxBatchSize: 500,
    consumeOnlyIfCommitted: config.AUTOMATION_CONSUME_CONTACT_EVENTS === 'auto' ? [Topics.contactEvents] : [],
  };
}

@Module({})
export class AppModule {
  static register(config: AutomationConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot({ appName: 'automation', config, database: true })],
      controllers: config.AUTOMATION_CONSUME_CONTACT_EVENTS === 'false' ? [AutomationConsumer] : [AutomationConsumer, ContactEventsConsumer],
      providers: [RulesCache, ContactsRepository, AutomationService],
    };
  }
}
