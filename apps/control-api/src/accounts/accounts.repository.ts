import { Inject, Injectable } from '@nestjs/common';
import { AccountEntity, DataSource, type EntityManager } from '@hookstream/db';

@Injectable()
export class AccountsRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  insert(row: Pick<AccountEntity, 'id' | 'name'>, em: EntityManager = this.ds.manager): Promise<AccountEntity> {
    const repo = em.getRepository(AccountEntity);
    return repo.save(repo.create(row));
  }

  findById(id: string): Promise<AccountEntity | null> {
    return this.ds.getRepository(AccountEntity).findOneBy({ id });
  }

  /** The oldest account with this name (names are not unique; the demo seed reuses its first). */
  findFirstByName(name: string): Promise<AccountEntity | null> {
    return this.ds.getRepository(AccountEntity).findOne({ where: { name }, order: { createdAt: 'ASC', id: 'ASC' } });
  }
}
