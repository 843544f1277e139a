import { Inject, Injectable } from '@nestjs/common';
import { IdPrefix, newId } from '@hookstream/contracts';
import { DataSource, type AccountEntity, type ApiKeyEntity } from '@hookstream/db';
import { newApiKey } from '@hookstream/webhooks';
import { ApiKeysRepository } from '../auth/api-keys.repository';
import type { ApiKeyScope } from '../auth/caller';
import { ApiError } from '../common/api-error';
import { decodeCursor, pageLimit, toPage, type Page, type PageQueryDto } from '../common/pagination';
import { AccountsRepository } from './accounts.repository';
import type { AccountView, ApiKeyView } from './accounts.dto';

export function accountView(a: AccountEntity): AccountView {
  return { id: a.id, name: a.name, createdAt: a.createdAt.toISOString() };
}

export function apiKeyView(k: ApiKeyEntity): ApiKeyView {
  return { id: k.id, name: k.name, scope: k.scope, createdAt: k.createdAt.toISOString(), revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null };
}

@Injectable()
export class AccountsService {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    private readonly accounts: AccountsRepository,
    private readonly keys: ApiKeysRepository,
  ) {}

  /** A new tenant and its first write key, atomically: an account nobody can log into is useless. */
  async createAccount(name: string): Promise<{ account: AccountEntity; apiKey: ApiKeyEntity; key: string }> {
    return this.ds.transaction(async (em) => {
      const account = await this.accounts.insert({ id: newId(IdPrefix.account), name }, em);
      const { apiKey, key } = await this.insertKey(account.id, 'initial', 'write', em);
      return { account, apiKey, key };
    });
  }

  async getAccount(accountId: string): Promise<AccountEntity> {
    const a = await this.accounts.findById(accountId);
    if (!a) throw ApiError.notFound('account', accountId);
    return a;
  }

  findAccountByName(name: string): Promise<AccountEntity | null> {
    return this.accounts.findFirstByName(name);
  }

  createApiKey(accountId: string, name: string, scope: ApiKeyScope): Promise<{ apiKey: ApiKeyEntity; key: string }> {
    return this.insertKey(accountId, name, scope);
  }

  async listApiKeys(accountId: string, q: PageQueryDto): Promise<Page<ApiKeyView>> {
    const limit = pageLimit(q);
    const rows = await this.keys.listByAccount(accountId, limit + 1, decodeCursor(q.cursor));
    return toPage(rows, limit, apiKeyView);
  }

  async revokeApiKey(accountId: string, id: string): Promise<ApiKeyEntity> {
    const key = await this.keys.revoke(accountId, id, new Date());
    if (!key) throw ApiError.notFound('API key', id);
    return key;
  }

  private async insertKey(accountId: string, name: string, scope: ApiKeyScope, em?: Parameters<ApiKeysRepository['insert']>[1]) {
    const k = newApiKey();
    const apiKey = await this.keys.insert({ id: k.keyId, accountId, name, secretHash: k.hash, scope }, em);
    return { apiKey, key: k.apiKey };
  }
}
