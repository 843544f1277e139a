import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigStream } from '@hookstream/kafka';
import { HealthRegistry, KAFKA_CLIENT } from '@hookstream/platform';
import { AutomationIndex, SubscriptionIndex } from '@hookstream/rules';
import type { Kafka } from 'kafkajs';

/** Endpoints and automation rules in memory, indexed by event type, kept current from the config topic. */
@Injectable()
export class RulesCache implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger(RulesCache.name);
  readonly subscriptions = new SubscriptionIndex();
  readonly automations = new AutomationIndex();
  private readonly stream: ConfigStream;

  constructor(@Inject(KAFKA_CLIENT) kafka: Kafka, private readonly health: HealthRegistry) {
    this.stream = new ConfigStream(kafka, 'automation');
    this.stream.onChange((c) => {
      if (c.kind === 'endpoint') {
        if (c.snapshot?.kind === 'endpoint') this.subscriptions.upsert(c.snapshot);
        else this.subscriptions.remove(c.id);
      } else if (c.kind === 'automation') {
        if (c.snapshot?.kind === 'automation') this.automations.upsert(c.snapshot);
        else this.automations.remove(c.id);
      }
    });
  }

  async onModuleInit(): Promise<void> {
    this.health.add({ name: 'config', check: async () => ({ ok: this.stream.isReady, detail: this.stream.isReady ? 'caught up' : 'catching up' }) });
    await this.stream.start();
    // Matching before the cache caught up would silently skip deliveries: wait.
    await this.stream.ready();
    this.log.log('rules cache ready');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stream.stop();
  }
}
