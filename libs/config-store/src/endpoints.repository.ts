import { Injectable } from '@nestjs/common';
import { AutomationEntity, EndpointEntity, EndpointSecretEntity, type EntityManager } from '@hookstream/db';
import { In, LessThanOrEqual } from 'typeorm';

/**
 * Rows of `endpoints` and `endpoint_secrets`: the only code that writes them (control-api's
 * endpoints API, and the automatic disable of apps/projector). Every method runs in the caller's
 * transaction. Another account's endpoint is indistinguishable from a missing one (null), so ids
 * cannot be probed; the API turns null into its 404.
 */
@Injectable()
export class EndpointsRepository {
  /** Loads the account's endpoint and locks it for the rest of the transaction. */
  lock(em: EntityManager, accountId: string, id: string): Promise<EndpointEntity | null> {
    return em.getRepository(EndpointEntity).createQueryBuilder('e').setLock('pessimistic_write').where('e.id = :id AND e.accountId = :accountId', { id, accountId }).getOne();
  }

  find(em: EntityManager, accountId: string, id: string): Promise<EndpointEntity | null> {
    return em.getRepository(EndpointEntity).createQueryBuilder('e').where('e.id = :id AND e.accountId = :accountId', { id, accountId }).getOne();
  }

  /** Newest first (ids are time-ordered), before `beforeId` when paging. */
  list(em: EntityManager, accountId: string, limit: number, beforeId?: string): Promise<EndpointEntity[]> {
    const qb = em.getRepository(EndpointEntity).createQueryBuilder('e').where('e.accountId = :accountId', { accountId });
    if (beforeId) qb.andWhere('e.id < :beforeId', { beforeId });
    return qb.orderBy('e.id', 'DESC').limit(limit).getMany();
  }

  findByUrl(em: EntityManager, accountId: string, url: string): Promise<EndpointEntity | null> {
    return em.getRepository(EndpointEntity).findOne({ where: { accountId, url }, order: { id: 'ASC' } });
  }

  /** Which of these ids are endpoints of the account. */
  async existing(em: EntityManager, accountId: string, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    // FOR SHARE: a concurrent delete of one of these endpoints waits for us, or we wait for it and see it gone.
    const rows = await em.getRepository(EndpointEntity).find({ select: { id: true }, where: { accountId, id: In(ids) }, lock: { mode: 'pessimistic_read' } });
    return new Set(rows.map((r) => r.id));
  }

  create(em: EntityManager, row: Partial<EndpointEntity>): EndpointEntity {
    return em.getRepository(EndpointEntity).create(row);
  }

  save(em: EntityManager, endpoint: EndpointEntity): Promise<EndpointEntity> {
    return em.getRepository(EndpointEntity).save(endpoint);
  }

  async delete(em: EntityManager, id: string): Promise<void> {
    await em.getRepository(EndpointSecretEntity).delete({ endpointId: id });
    await em.getRepository(EndpointEntity).delete({ id });
  }

  secretsOf(em: EntityManager, endpointIds: string[]): Promise<EndpointSecretEntity[]> {
    if (endpointIds.length === 0) return Promise.resolve([]);
    return em.getRepository(EndpointSecretEntity).find({ where: { endpointId: In(endpointIds) }, order: { createdAt: 'DESC' } });
  }

  insertSecret(em: EntityManager, row: Pick<EndpointSecretEntity, 'id' | 'endpointId' | 'secretEnc' | 'expiresAt'>): Promise<EndpointSecretEntity> {
    const repo = em.getRepository(EndpointSecretEntity);
    return repo.save(repo.create(row));
  }

  saveSecrets(em: EntityManager, secrets: EndpointSecretEntity[]): Promise<EndpointSecretEntity[]> {
    return em.getRepository(EndpointSecretEntity).save(secrets);
  }

  async deleteExpiredSecrets(em: EntityManager, endpointId: string, now: Date): Promise<void> {
    await em.getRepository(EndpointSecretEntity).delete({ endpointId, expiresAt: LessThanOrEqual(now) });
  }

  /** Automations of the account whose actions deliver to this endpoint. */
  async automationsUsing(em: EntityManager, accountId: string, endpointId: string): Promise<string[]> {
    const rows = await em
      .getRepository(AutomationEntity)
      .createQueryBuilder('a')
      .select('a.id', 'id')
      .where('a.accountId = :accountId', { accountId })
      .andWhere('a.actions @> CAST(:needle AS jsonb)', { needle: JSON.stringify([{ type: 'webhook', endpointId }]) })
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }
}
