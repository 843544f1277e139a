import { Inject, Injectable } from '@nestjs/common';
import type { SourceSnapshot } from '@hookstream/contracts';
import { ConfigStream, type ConfigChange } from '@hookstream/kafka';
import { ConfigCache, HealthRegistry, KAFKA_CLIENT } from '@hookstream/platform';
import type { Kafka } from 'kafkajs';

/** The gateway's config cache: sources, so a request's token is checked with no database read. */
@Injectable()
export class SourceCache extends ConfigCache {
  private readonly sources = new Map<string, SourceSnapshot>();

  constructor(@Inject(KAFKA_CLIENT) kafka: Kafka, health: HealthRegistry) {
    super(new ConfigStream(kafka, 'ingest-gateway'), health);
  }

  protected apply(c: ConfigChange): void {
    if (c.kind !== 'source') return;
    if (c.snapshot?.kind === 'source') this.sources.set(c.id, c.snapshot);
    else this.sources.delete(c.id);
  }

  protected describe(): string {
    return `${this.sources.size} source(s)`;
  }

  get(id: string): SourceSnapshot | undefined {
    return this.sources.get(id);
  }
}
