import type { EntityManager } from '@hookstream/db';
import { ApiError } from './api-error';

interface Owned {
  id: string;
  accountId: string;
}

/**
 * Loads one of the caller's rows and locks it for the rest of the transaction. Another
 * account's row is indistinguishable from a missing one (404), so ids cannot be probed.
 */
export async function lockOwned<E extends Owned>(em: EntityManager, entity: new () => E, accountId: string, id: string, what: string): Promise<E> {
  const row = await em
    .getRepository(entity)
    .createQueryBuilder('e')
    .setLock('pessimistic_write')
    .where('e.id = :id AND e.accountId = :accountId', { id, accountId })
    .getOne();
  if (!row) throw ApiError.notFound(what, id);
  return row;
}

export async function findOwned<E extends Owned>(em: EntityManager, entity: new () => E, accountId: string, id: string, what: string): Promise<E> {
  const row = await em.getRepository(entity).createQueryBuilder('e').where('e.id = :id AND e.accountId = :accountId', { id, accountId }).getOne();
  if (!row) throw ApiError.notFound(what, id);
  return row;
}

export async function listOwned<E extends Owned>(em: EntityManager, entity: new () => E, accountId: string, limit: number, beforeId?: string): Promise<E[]> {
  const qb = em.getRepository(entity).createQueryBuilder('e').where('e.accountId = :accountId', { accountId });
  if (beforeId) qb.andWhere('e.id < :beforeId', { beforeId });
  return qb.orderBy('e.id', 'DESC').limit(limit).getMany();
}
