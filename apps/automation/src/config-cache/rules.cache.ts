import { Inject, Injectable } from '@nestjs/common';
import { ConfigStream, type ConfigChange } from '@hookstream/kafka';
import { ConfigCache, HealthRegistry, KAFKA_CLIENT } from '@hookstream/platform';
import { AutomationIndex, SubscriptionIndex } from '@hookstream/rules';
import type { Kafka } from 'kafkajs';

/** Automation's config cache: endpoint subscriptions and automation rules, indexed by event type. */
@Injectable()
export class RulesCache extends ConfigCache {
  readonly subscriptions = new SubscriptionIndex();
  readonly automations = new AutomationIndex();

  constructor(@Inject(KAFKA_CLIENT) kafka: Kafka, health: HealthRegistry) {
    super(new ConfigStream(kafka, 'automation'), health);
  }

  protected apply(c: ConfigChange): void {
    if (c.kind === 'endpoint') {
      if (c.snapshot?.kind === 'endpoint') this.subscriptions.upsert(c.snapshot);
      else this.subscriptions.remove(c.id);
    } else if (c.kind === 'automation') {
      if (c.snapshot?.kind === 'automation') this.automations.upsert(c.snapshot);
      else this.automations.remove(c.id);
    }
  }

  protected describe(): string {
    return `${this.subscriptions.size} endpoint(s), ${this.automations.size} automation(s)`;
  }
}
