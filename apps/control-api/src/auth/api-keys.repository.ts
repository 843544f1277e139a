import { Inject, Injectable } from '@nestjs/common';
import { ApiKeyEntity, DataSource, type EntityManager } from '@hookstream/db';

@Injectable()
export class ApiKeysRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  findById(id: string): Promise<ApiKeyEntity | null> {
    return this.ds.getRepository(ApiKeyEntity).findOneBy({ id });
  }

  insert(row: Pick<ApiKeyEntity, 'id' | 'accountId' | 'name' | 'secretHash' | 'scope'>, em: EntityManager = this.ds.manager): Promise<ApiKeyEntity> {
    const repo = em.getRepository(ApiKeyEntity);
    return repo.save(repo.create({ ...row, revokedAt: null }));
  }

  listByAccount(accountId: string, limit: number, beforeId?: string): Promise<ApiKeyEntity[]> {
    const qb = this.ds.getRepository(ApiKeyEntity).createQueryBuilder('k').where('k.accountId = :accountId', { accountId });
    if (beforeId) qb.andWhere('k.id < :beforeId', { beforeId });
    return qb.orderBy('k.id', 'DESC').limit(limit).getMany();
  }

  /** Returns the revoked key, or null when the account has no such key. */
  async revoke(accountId: string, id: string, at: Date): Promise<ApiKeyEntity | null> {
    const repo = this.ds.getRepository(ApiKeyEntity);
    const key = await repo.findOneBy({ id, accountId });
    if (!key) return null;
    if (!key.revokedAt) {
      key.revokedAt = at;
      await repo.save(key);
    }
    return key;
  }
}
