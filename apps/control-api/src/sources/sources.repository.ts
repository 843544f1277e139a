import { Injectable } from '@nestjs/common';
import { SourceEntity, SourceTokenEntity, type EntityManager } from '@hookstream/db';
import { In, LessThanOrEqual } from 'typeorm';
import { findOwned, listOwned, lockOwned } from '../common/owned';

/** Rows of `sources` and `source_tokens`; every method runs in the caller's transaction. */
@Injectable()
export class SourcesRepository {
  lock(em: EntityManager, accountId: string, id: string): Promise<SourceEntity> {
    return lockOwned(em, SourceEntity, accountId, id, 'source');
  }

  find(em: EntityManager, accountId: string, id: string): Promise<SourceEntity> {
    return findOwned(em, SourceEntity, accountId, id, 'source');
  }

  list(em: EntityManager, accountId: string, limit: number, beforeId?: string): Promise<SourceEntity[]> {
    return listOwned(em, SourceEntity, accountId, limit, beforeId);
  }

  findByName(em: EntityManager, accountId: string, name: string): Promise<SourceEntity | null> {
    return em.getRepository(SourceEntity).findOne({ where: { accountId, name }, order: { id: 'ASC' } });
  }

  /** Which of these ids are sources of the account. */
  async existing(em: EntityManager, accountId: string, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await em.getRepository(SourceEntity).find({ select: { id: true }, where: { accountId, id: In(ids) } });
    return new Set(rows.map((r) => r.id));
  }

  save(em: EntityManager, source: SourceEntity): Promise<SourceEntity> {
    return em.getRepository(SourceEntity).save(source);
  }

  create(em: EntityManager, row: Partial<SourceEntity>): SourceEntity {
    return em.getRepository(SourceEntity).create(row);
  }

  async delete(em: EntityManager, id: string): Promise<void> {
    await em.getRepository(SourceTokenEntity).delete({ sourceId: id });
    await em.getRepository(SourceEntity).delete({ id });
  }

  tokensOf(em: EntityManager, sourceIds: string[]): Promise<SourceTokenEntity[]> {
    if (sourceIds.length === 0) return Promise.resolve([]);
    return em.getRepository(SourceTokenEntity).find({ where: { sourceId: In(sourceIds) }, order: { createdAt: 'DESC' } });
  }

  insertToken(em: EntityManager, row: Pick<SourceTokenEntity, 'id' | 'sourceId' | 'tokenHash' | 'expiresAt'>): Promise<SourceTokenEntity> {
    const repo = em.getRepository(SourceTokenEntity);
    return repo.save(repo.create(row));
  }

  saveTokens(em: EntityManager, tokens: SourceTokenEntity[]): Promise<SourceTokenEntity[]> {
    return em.getRepository(SourceTokenEntity).save(tokens);
  }

  async deleteExpiredTokens(em: EntityManager, sourceId: string, now: Date): Promise<void> {
    await em.getRepository(SourceTokenEntity).delete({ sourceId, expiresAt: LessThanOrEqual(now) });
  }
}
