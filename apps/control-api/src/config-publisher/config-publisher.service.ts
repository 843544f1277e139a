import { Inject, Injectable, Logger } from '@nestjs/common';
import { configKey, IdPrefix, newId, newTraceparent, Topics, type ConfigKind, type ConfigSnapshot } from '@hookstream/contracts';
import {
  AutomationEntity, DataSource, EndpointEntity, EndpointSecretEntity, SourceEntity, SourceTokenEntity, type EntityManager,
} from '@hookstream/db';
import { EVENT_PRODUCER, type EventProducer, type OutboundMessage } from '@hookstream/kafka';
import { In } from 'typeorm';
import { toAutomationSnapshot, toEndpointSnapshot, toSourceSnapshot } from './snapshot.mapper';

export const CONFIG_EVENT_SOURCE = 'hookstream/control-api';

/** CloudEvents type of a config record: `hookstream.config.<kind>.updated|deleted`. */
export function configEventType(kind: ConfigKind, deleted: boolean): string {
  return `hookstream.config.${kind}.${deleted ? 'deleted' : 'updated'}`;
}

export function configMessage(kind: ConfigKind, id: string, snapshot: ConfigSnapshot | null, now: Date = new Date()): OutboundMessage {
  const key = configKey(kind, id);
  return {
    key,
    value: snapshot,
    envelope: { id: newId(IdPrefix.message, now.getTime()), type: configEventType(kind, snapshot === null), source: CONFIG_EVENT_SOURCE, time: now.toISOString(), subject: key, traceparent: newTraceparent() },
  };
}

/**
 * Publishes configuration to the compacted config topic, the source of truth for every app's
 * in-memory cache. Callers publish INSIDE the database transaction that made the change, after
 * the change and while holding its row locks: if Kafka does not acknowledge, the transaction
 * rolls back (no change the caches never hear of), and two concurrent changes to one entity
 * reach the topic in commit order (the second waits on the first's row lock).
 */
@Injectable()
export class ConfigPublisherService {
  private readonly log = new Logger('ConfigPublisher');

  constructor(
    @Inject(EVENT_PRODUCER) private readonly producer: EventProducer,
    @Inject(DataSource) private readonly ds: DataSource,
  ) {}

  async publishSource(em: EntityManager, sourceId: string): Promise<ConfigSnapshot> {
    const source = await em.getRepository(SourceEntity).findOneByOrFail({ id: sourceId });
    const tokens = await em.getRepository(SourceTokenEntity).findBy({ sourceId });
    return this.send(toSourceSnapshot(source, tokens));
  }

  async publishEndpoint(em: EntityManager, endpointId: string): Promise<ConfigSnapshot> {
    const endpoint = await em.getRepository(EndpointEntity).findOneByOrFail({ id: endpointId });
    const secrets = await em.getRepository(EndpointSecretEntity).findBy({ endpointId });
    return this.send(toEndpointSnapshot(endpoint, secrets));
  }

  async publishAutomation(em: EntityManager, automationId: string): Promise<ConfigSnapshot> {
    const automation = await em.getRepository(AutomationEntity).findOneByOrFail({ id: automationId });
    return this.send(toAutomationSnapshot(automation));
  }

  /** A tombstone: compaction eventually removes the key, and caches drop the entity at once. */
  async publishDeleted(kind: ConfigKind, id: string): Promise<void> {
    await this.producer.send(Topics.config, [configMessage(kind, id, null)]);
  }

  /**
   * Disaster recovery: re-sends every current snapshot (e.g. after the topic was lost). Safe to
   * repeat — the same snapshot twice changes nothing in a cache. Deleted entities are not
   * re-tombstoned; a rebuilt topic simply never mentions them.
   */
  async republishAll(batchSize = 200): Promise<{ sources: number; endpoints: number; automations: number }> {
    const counts = { sources: 0, endpoints: 0, automations: 0 };
    counts.sources = await this.eachBatch(SourceEntity, batchSize, async (rows) => {
      const tokens = await this.ds.getRepository(SourceTokenEntity).findBy({ sourceId: In(rows.map((r) => r.id)) });
      return rows.map((s) => toSourceSnapshot(s, tokens));
    });
    counts.endpoints = await this.eachBatch(EndpointEntity, batchSize, async (rows) => {
      const secrets = await this.ds.getRepository(EndpointSecretEntity).findBy({ endpointId: In(rows.map((r) => r.id)) });
      return rows.map((e) => toEndpointSnapshot(e, secrets));
    });
    counts.automations = await this.eachBatch(AutomationEntity, batchSize, async (rows) => rows.map(toAutomationSnapshot));
    this.log.log(`republished ${counts.sources} source(s), ${counts.endpoints} endpoint(s), ${counts.automations} automation(s)`);
    return counts;
  }

  private async eachBatch<E extends { id: string }>(
    entity: new () => E,
    batchSize: number,
    toSnapshots: (rows: E[]) => Promise<ConfigSnapshot[]>,
  ): Promise<number> {
    let after = '';
    let total = 0;
    for (;;) {
      const rows = await this.ds.getRepository(entity).createQueryBuilder('e').where('e.id > :after', { after }).orderBy('e.id', 'ASC').limit(batchSize).getMany();
      if (rows.length === 0) return total;
      const snapshots = await toSnapshots(rows);
      await this.producer.send(Topics.config, snapshots.map((s) => configMessage(s.kind, s.id, s)));
      total += rows.length;
      after = rows[rows.length - 1].id;
    }
  }

  private async send<T extends ConfigSnapshot>(snapshot: T): Promise<T> {
    await this.producer.send(Topics.config, [configMessage(snapshot.kind, snapshot.id, snapshot)]);
    return snapshot;
  }
}
