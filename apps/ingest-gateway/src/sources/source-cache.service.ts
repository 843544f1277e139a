import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { SourceSnapshot } from '@hookstream/contracts';
import { ConfigStream } from '@hookstream/kafka';
import { HealthRegistry, KAFKA_CLIENT } from '@hookstream/platform';
import type { Kafka } from 'kafkajs';

/** Sources in memory, kept current from the config topic: no database read per request. */
@Injectable()
export class SourceCache implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger(SourceCache.name);
  private readonly sources = new Map<string, SourceSnapshot>();
  private readonly stream: ConfigStream;

  constructor(@Inject(KAFKA_CLIENT) kafka: Kafka, private readonly health: HealthRegistry) {
    this.stream = new ConfigStream(kafka, 'ingest-gateway');
    this.stream.onChange((c) => {
      if (c.kind !== 'source') return;
      if (c.snapshot && c.snapshot.kind === 'source') this.sources.set(c.id, c.snapshot);
      else this.sources.delete(c.id);
    });
  }

  async onModuleInit(): Promise<void> {
    this.health.add({ name: 'config', check: async () => ({ ok: this.stream.isReady, detail: `${this.sources.size} source(s)` }) });
    await this.stream.start();
    await this.stream.ready();
    this.log.log(`source cache ready with ${this.sources.size} source(s)`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stream.stop();
  }

  get(id: string): SourceSnapshot | undefined {
    return this.sources.get(id);
  }
}
