import { Inject, Injectable, Logger } from '@nestjs/common';
import { configKey, IdPrefix, newId, newTraceparent, Topics, type ConfigKind, type ConfigSnapshot } from '@hookstream/contracts';
import {
  AccountEntity, AutomationEntity, DataSource, EndpointEntity, EndpointSecretEntity, SourceEntity, SourceTokenEntity, type EntityManager,
} from '@hookstream/db';
import { ConfigStream, EVENT_PRODUCER, type EventProducer, type OutboundMessage } from '@hookstream/kafka';
import { KAFKA_CLIENT } from '@hookstream/platform';
import type { Kafka } from 'kafkajs';
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
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
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

  /**
   * Tombstones what the topic still says exists but this database does not have — a row whose
   * tombstone never made it, a database restored from an older backup. Without this every cache
   * keeps the ghost: an endpoint nobody can see any more still receives deliveries. Only keys of
   * accounts that exist in this database are touched (`accountIds` narrows it further), so a topic
   * shared with other databases (other environments, tests) is left alone.
   */
  async pruneOrphans(opts: { accountIds?: string[] } = {}): Promise<{ sources: number; endpoints: number; automations: number }> {
    const onTopic = new Map<string, ConfigSnapshot>();
    const stream = new ConfigStream(this.kafka, 'control-api-prune');
    stream.onChange((c) => {
      const key = configKey(c.kind, c.id);
      if (c.snapshot) onTopic.set(key, c.snapshot);
      else onTopic.delete(key);
    });
    try {
      await stream.start();
      await stream.ready();
    } finally {
      await stream.stop();
    }
    const accounts = new Set(
      (await this.ds.getRepository(AccountEntity).find({ select: { id: true }, where: opts.accountIds ? { id: In(opts.accountIds) } : {} })).map((a) => a.id),
    );
    const counts = { sources: 0, endpoints: 0, automations: 0 };
    const kinds = [
      ['source', SourceEntity, 'sources'],
      ['endpoint', EndpointEntity, 'endpoints'],
      ['automation', AutomationEntity, 'automations'],
    ] as const;
    for (const [kind, entity, count] of kinds) {
      const ids = [...onTopic.values()].filter((s) => s.kind === kind && accounts.has(s.accountId)).map((s) => s.id);
      if (ids.length === 0) continue;
      const present = new Set((await this.ds.getRepository<{ id: string }>(entity).find({ select: { id: true }, where: { id: In(ids) } })).map((r) => r.id));
      const orphans = ids.filter((id) => !present.has(id));
      if (orphans.length === 0) continue;
      await this.producer.send(Topics.config, orphans.map((id) => configMessage(kind, id, null)));
      counts[count] = orphans.length;
      this.log.warn(`tombstoned ${orphans.length} ${kind}(s) that the config topic still had but the database does not: ${orphans.slice(0, 10).join(', ')}${orphans.length > 10 ? ', …' : ''}`);
    }
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
