import { DynamicModule, Module } from '@nestjs/common';
import { CoreModule } from '@hookstream/platform';
import type { AutomationConfig } from './automation.config';
import { AutomationConsumer, ContactEventsConsumer } from './automation/automation.consumer';
import { AutomationService } from './automation/automation.service';
import { ContactsRepository } from './automation/contacts.repository';
import { RulesCache } from './config-cache/rules.cache';

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
