import { Injectable } from '@nestjs/common';
import { AutomationEntity, type EntityManager } from '@hookstream/db';
import { findOwned, listOwned, lockOwned } from '../common/owned';

@Injectable()
export class AutomationsRepository {
  lock(em: EntityManager, accountId: string, id: string): Promise<AutomationEntity> {
    return lockOwned(em, AutomationEntity, accountId, id, 'automation');
  }

  find(em: EntityManager, accountId: string, id: string): Promise<AutomationEntity> {
    return findOwned(em, AutomationEntity, accountId, id, 'automation');
  }

  list(em: EntityManager, accountId: string, limit: number, beforeId?: string): Promise<AutomationEntity[]> {
    return listOwned(em, AutomationEntity, accountId, limit, beforeId);
  }

  create(em: EntityManager, row: Partial<AutomationEntity>): AutomationEntity {
    return em.getRepository(AutomationEntity).create(row);
  }

  save(em: EntityManager, a: AutomationEntity): Promise<AutomationEntity> {
    return em.getRepository(AutomationEntity).save(a);
  }

  async delete(em: EntityManager, id: string): Promise<void> {
    await em.getRepository(AutomationEntity).delete({ id });
  }
}
