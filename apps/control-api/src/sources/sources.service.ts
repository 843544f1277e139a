import { Inject, Injectable } from '@nestjs/common';
import { IdPrefix, newId, type InitiatedFrom, type SourceDialect } from '@hookstream/contracts';
import { DataSource, type EntityManager, type SourceEntity, type SourceTokenEntity } from '@hookstream/db';
import { APP_CONFIG } from '@hookstream/platform';
import { hashToken, newSourceToken } from '@hookstream/webhooks';
import { ApiError } from '../common/api-error';
import { decodeCursor, pageLimit, toPage, type Page, type PageQueryDto } from '../common/pagination';
import { SecretsService } from '../common/secrets';
import { ConfigPublisherService } from '@hookstream/config-store';
import type { ControlApiConfig } from '../control-api.config';
import { buildSignature, signatureView } from './signature-input';
import type { CreateSourceDto, SourceView, SourceWithTokenView, UpdateSourceDto } from './sources.dto';
import { SourcesRepository } from './sources.repository';

export const SOURCE_TOKEN_ID_PREFIX = 'stk';
export const DEFAULT_TOKEN_GRACE_SECONDS = 3600;

@Injectable()
export class SourcesService {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: ControlApiConfig,
    private readonly repo: SourcesRepository,
    private readonly secrets: SecretsService,
    private readonly publisher: ConfigPublisherService,
  ) {}

  /** The ingest URL of a source, without a token. */
  ingestUrl(sourceId: string, baseUrl = this.config.PUBLIC_BASE_URL): string {
    return `${baseUrl.replace(/\/+$/, '')}/v1/hooks/${encodeURIComponent(sourceId)}`;
  }

  async create(accountId: string, dto: CreateSourceDto, opts: { publicBaseUrl?: string } = {}): Promise<SourceWithTokenView> {
    return this.ds.transaction(async (em) => {
      const id = newId(IdPrefix.source);
      const source = this.repo.create(em, {
        id,
        accountId,
        name: dto.name,
        dialect: dto.dialect ?? 'auto',
        enabled: dto.enabled ?? true,
        signature: { kind: 'none' },
        dedupe: null,
        rateLimitPerSecond: null,
        initiatedFrom: dto.initiatedFrom ?? 'api',
        listId: null,
        version: 1,
      });
      this.applySettings(source, dto);
      await this.repo.save(em, source);
      const token = await this.issueToken(em, id);
      await this.publisher.publishSource(em, id);
      const view = await this.view(em, await this.repo.find(em, accountId, id), opts.publicBaseUrl);
      return { source: view, token, url: `${this.ingestUrl(id, opts.publicBaseUrl)}?token=${encodeURIComponent(token)}` };
    });
  }

  async list(accountId: string, q: PageQueryDto): Promise<Page<SourceView>> {
    const em = this.ds.manager;
    const limit = pageLimit(q);
    const rows = await this.repo.list(em, accountId, limit + 1, decodeCursor(q.cursor));
    const tokens = await this.repo.tokensOf(em, rows.map((r) => r.id));
    return toPage(rows, limit, (s) => this.toView(s, tokens));
  }

  async get(accountId: string, id: string): Promise<SourceView> {
    return this.view(this.ds.manager, await this.repo.find(this.ds.manager, accountId, id));
  }

  async update(accountId: string, id: string, dto: UpdateSourceDto): Promise<SourceView> {
    return this.ds.transaction(async (em) => {
      const source = await this.repo.lock(em, accountId, id);
      if (dto.name !== undefined) source.name = dto.name;
      this.applySettings(source, dto);
      source.version += 1;
      await this.repo.save(em, source);
      await this.publisher.publishSource(em, id);
      return this.view(em, await this.repo.find(em, accountId, id));
    });
  }

  /**
   * A new token, shown once. Tokens that were current stop working after the grace period,
   * so senders can be switched over without losing events; a shorter existing expiry is kept.
   */
  async rotateToken(accountId: string, id: string, gracePeriodSeconds = DEFAULT_TOKEN_GRACE_SECONDS, opts: { publicBaseUrl?: string } = {}): Promise<SourceWithTokenView> {
    const max = this.config.SOURCE_TOKEN_MAX_GRACE_SECONDS;
    if (gracePeriodSeconds > max) {
      throw ApiError.validation(`gracePeriodSeconds must not be greater than ${max}`, [{ field: 'gracePeriodSeconds', code: 'max', message: `at most ${max}` }]);
    }
    return this.ds.transaction(async (em) => {
      const source = await this.repo.lock(em, accountId, id);
      const now = new Date();
      const graceEnd = new Date(now.getTime() + gracePeriodSeconds * 1000);
      await this.repo.deleteExpiredTokens(em, id, now);
      const tokens = await this.repo.tokensOf(em, [id]);
      for (const t of tokens) if (t.expiresAt === null || t.expiresAt > graceEnd) t.expiresAt = graceEnd;
      await this.repo.saveTokens(em, tokens);
      const token = await this.issueToken(em, id);
      source.version += 1;
      await this.repo.save(em, source);
      await this.publisher.publishSource(em, id);
      const view = await this.view(em, await this.repo.find(em, accountId, id), opts.publicBaseUrl);
      return { source: view, token, url: `${this.ingestUrl(id, opts.publicBaseUrl)}?token=${encodeURIComponent(token)}` };
    });
  }

  async remove(accountId: string, id: string): Promise<void> {
    await this.ds.transaction(async (em) => {
      await this.repo.lock(em, accountId, id);
      await this.repo.delete(em, id);
      await this.publisher.publishDeleted('source', id);
    });
  }

  findByName(accountId: string, name: string): Promise<SourceEntity | null> {
    return this.repo.findByName(this.ds.manager, accountId, name);
  }

  private applySettings(source: SourceEntity, dto: CreateSourceDto | UpdateSourceDto): void {
    if (dto.dialect !== undefined) source.dialect = dto.dialect;
    if (dto.enabled !== undefined) source.enabled = dto.enabled;
    if (dto.signature !== undefined) source.signature = buildSignature(source.signature, dto.signature, (s) => this.secrets.seal(s));
    if (dto.dedupe !== undefined) source.dedupe = dto.dedupe === null ? null : { fields: dto.dedupe.fields, windowSeconds: dto.dedupe.windowSeconds };
    if (dto.rateLimitPerSecond !== undefined) source.rateLimitPerSecond = dto.rateLimitPerSecond;
    if (dto.initiatedFrom !== undefined) source.initiatedFrom = dto.initiatedFrom;
    if (dto.listId !== undefined) source.listId = dto.listId;
  }

  private async issueToken(em: EntityManager, sourceId: string): Promise<string> {
    const token = newSourceToken();
    await this.repo.insertToken(em, { id: newId(SOURCE_TOKEN_ID_PREFIX), sourceId, tokenHash: hashToken(token), expiresAt: null });
    return token;
  }

  private async view(em: EntityManager, source: SourceEntity, publicBaseUrl?: string): Promise<SourceView> {
    return this.toView(source, await this.repo.tokensOf(em, [source.id]), publicBaseUrl);
  }

  private toView(s: SourceEntity, tokens: SourceTokenEntity[], publicBaseUrl?: string): SourceView {
    const now = Date.now();
    return {
      id: s.id,
      name: s.name,
      dialect: s.dialect as SourceDialect,
      enabled: s.enabled,
      url: this.ingestUrl(s.id, publicBaseUrl),
      signature: signatureView(s.signature),
      dedupe: s.dedupe,
      rateLimitPerSecond: s.rateLimitPerSecond,
      initiatedFrom: s.initiatedFrom as InitiatedFrom,
      listId: s.listId,
      tokens: tokens
        .filter((t) => t.sourceId === s.id && (t.expiresAt === null || t.expiresAt.getTime() > now))
        .map((t) => ({ id: t.id, createdAt: t.createdAt.toISOString(), expiresAt: t.expiresAt ? t.expiresAt.toISOString() : null })),
      version: s.version,
      createdAt: s.createdAt.toISOString(),
      updatedAt: s.updatedAt.toISOString(),
    };
  }
}

