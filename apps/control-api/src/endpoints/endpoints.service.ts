import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { newId, IdPrefix, type DeliveryFormat, type FilterExpr, type InitiatedFrom } from '@hookstream/contracts';
import { DataSource, type EndpointEntity, type EndpointSecretEntity, type EntityManager } from '@hookstream/db';
import { APP_CONFIG } from '@hookstream/platform';
import { newWebhookSecret, type UrlPolicy } from '@hookstream/webhooks';
import { ApiError, ApiErrorCode } from '../common/api-error';
import { decodeCursor, pageLimit, toPage, type Page, type PageQueryDto } from '../common/pagination';
import { SecretsService } from '../common/secrets';
import { UrlPolicyService } from '../common/url-policy';
import { ConfigPublisherService } from '@hookstream/config-store';
import type { ControlApiConfig } from '../control-api.config';
import type { CreateEndpointDto, EndpointView, EndpointWithSecretView, UpdateEndpointDto } from './endpoints.dto';
import { EndpointsRepository } from '@hookstream/config-store';

export const ENDPOINT_SECRET_ID_PREFIX = 'esec';
export const DEFAULT_MAX_CONCURRENCY = 10;

@Injectable()
export class EndpointsService {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: ControlApiConfig,
    private readonly repo: EndpointsRepository,
    private readonly secrets: SecretsService,
    private readonly urls: UrlPolicyService,
    private readonly publisher: ConfigPublisherService,
  ) {}

  /** `urlOverride` replaces the configured URL policy (the demo seed points at a local http inbox). */
  async create(accountId: string, dto: CreateEndpointDto, opts: { urlOverride?: { policy: UrlPolicy; anyAddress: boolean } } = {}): Promise<EndpointWithSecretView> {
    const url = this.urls.assertAllowed(dto.url, opts.urlOverride);
    const warnings = opts.urlOverride?.anyAddress ? [] : await this.urls.warnings(url);
    const created = await this.ds.transaction(async (em) => {
      const id = newId(IdPrefix.endpoint);
      const endpoint = this.repo.create(em, {
        id,
        accountId,
        url,
        description: null,
        enabled: true,
        disabledReason: null,
        eventTypes: dto.eventTypes,
        initiatedFrom: null,
        listId: null,
        filter: null,
        format: 'json',
        rateLimitPerSecond: null,
        maxConcurrency: DEFAULT_MAX_CONCURRENCY,
        version: 1,
      });
      this.applySettings(endpoint, dto);
      await this.repo.save(em, endpoint);
      const secret = await this.issueSecret(em, id);
      await this.publisher.publishEndpoint(em, id);
      return { endpoint: await this.view(em, await this.find(em, accountId, id)), secret };
    });
    return { ...created, warnings };
  }

  async list(accountId: string, q: PageQueryDto): Promise<Page<EndpointView>> {
    const em = this.ds.manager;
    const limit = pageLimit(q);
    const rows = await this.repo.list(em, accountId, limit + 1, decodeCursor(q.cursor));
    const secrets = await this.repo.secretsOf(em, rows.map((r) => r.id));
    return toPage(rows, limit, (e) => this.toView(e, secrets));
  }

  async get(accountId: string, id: string): Promise<EndpointView> {
    return this.view(this.ds.manager, await this.find(this.ds.manager, accountId, id));
  }

  async update(accountId: string, id: string, dto: UpdateEndpointDto): Promise<EndpointView> {
    const url = dto.url !== undefined ? this.urls.assertAllowed(dto.url) : undefined;
    const warnings = url !== undefined ? await this.urls.warnings(url) : undefined;
    const updated = await this.mutate(accountId, id, (e) => {
      if (url !== undefined) e.url = url;
      if (dto.eventTypes !== undefined) e.eventTypes = dto.eventTypes;
      this.applySettings(e, dto);
    });
    return warnings ? { ...updated, warnings } : updated;
  }

  setEnabled(accountId: string, id: string, enabled: boolean): Promise<EndpointView> {
    return this.mutate(accountId, id, (e) => {
      e.enabled = enabled;
      e.disabledReason = enabled ? null : 'disabled by user';
    });
  }

  /**
   * A new signing secret, shown once. The previous one stays in the snapshot until the overlap
   * ends, so the delivery app signs with both and receivers can switch without rejecting anything.
   */
  async rotateSecret(accountId: string, id: string): Promise<EndpointWithSecretView> {
    return this.ds.transaction(async (em) => {
      const endpoint = await this.lock(em, accountId, id);
      const now = new Date();
      const overlapEnd = new Date(now.getTime() + this.config.ENDPOINT_SECRET_ROTATION_GRACE_HOURS * 3600 * 1000);
      await this.repo.deleteExpiredSecrets(em, id, now);
      const current = await this.repo.secretsOf(em, [id]);
      for (const s of current) if (s.expiresAt === null || s.expiresAt > overlapEnd) s.expiresAt = overlapEnd;
      await this.repo.saveSecrets(em, current);
      const secret = await this.issueSecret(em, id);
      endpoint.version += 1;
      await this.repo.save(em, endpoint);
      await this.publisher.publishEndpoint(em, id);
      return { endpoint: await this.view(em, await this.find(em, accountId, id)), secret };
    });
  }

  async remove(accountId: string, id: string): Promise<void> {
    await this.ds.transaction(async (em) => {
      await this.lock(em, accountId, id);
      const users = await this.repo.automationsUsing(em, accountId, id);
      if (users.length > 0) {
        throw new ApiError(ApiErrorCode.conflict, `endpoint ${id} is used by automation(s) ${users.join(', ')}; remove it from them first`, HttpStatus.CONFLICT);
      }
      await this.repo.delete(em, id);
      await this.publisher.publishDeleted('endpoint', id);
    });
  }

  findByUrl(accountId: string, url: string): Promise<EndpointEntity | null> {
    return this.repo.findByUrl(this.ds.manager, accountId, url);
  }

  /** The current signing secret in clear (CLI demo seed only; the API never shows it again). */
  async currentSecret(endpointId: string): Promise<string | undefined> {
    const secrets = await this.repo.secretsOf(this.ds.manager, [endpointId]);
    const current = secrets.find((s) => s.expiresAt === null);
    return current ? this.secrets.open(current.secretEnc) : undefined;
  }

  /** Another account's endpoint is indistinguishable from a missing one (404), so ids cannot be probed. */
  private async lock(em: EntityManager, accountId: string, id: string): Promise<EndpointEntity> {
    const endpoint = await this.repo.lock(em, accountId, id);
    if (!endpoint) throw ApiError.notFound('endpoint', id);
    return endpoint;
  }

  private async find(em: EntityManager, accountId: string, id: string): Promise<EndpointEntity> {
    const endpoint = await this.repo.find(em, accountId, id);
    if (!endpoint) throw ApiError.notFound('endpoint', id);
    return endpoint;
  }

  private async mutate(accountId: string, id: string, change: (e: EndpointEntity) => void): Promise<EndpointView> {
    return this.ds.transaction(async (em) => {
      const endpoint = await this.lock(em, accountId, id);
      change(endpoint);
      endpoint.version += 1;
      await this.repo.save(em, endpoint);
      await this.publisher.publishEndpoint(em, id);
      return this.view(em, await this.find(em, accountId, id));
    });
  }

  private applySettings(e: EndpointEntity, dto: CreateEndpointDto | UpdateEndpointDto): void {
    if (dto.description !== undefined) e.description = dto.description;
    if (dto.initiatedFrom !== undefined) e.initiatedFrom = dto.initiatedFrom;
    if (dto.listId !== undefined) e.listId = dto.listId;
    if (dto.filter !== undefined) e.filter = dto.filter;
    if (dto.format !== undefined) e.format = dto.format;
    if (dto.rateLimitPerSecond !== undefined) e.rateLimitPerSecond = dto.rateLimitPerSecond;
    if (dto.maxConcurrency !== undefined) e.maxConcurrency = dto.maxConcurrency;
    if (dto.enabled !== undefined) {
      e.enabled = dto.enabled;
      e.disabledReason = dto.enabled ? null : 'disabled by user';
    }
  }

  private async issueSecret(em: EntityManager, endpointId: string): Promise<string> {
    const secret = newWebhookSecret();
    await this.repo.insertSecret(em, { id: newId(ENDPOINT_SECRET_ID_PREFIX), endpointId, secretEnc: this.secrets.seal(secret), expiresAt: null });
    return secret;
  }

  private async view(em: EntityManager, e: EndpointEntity): Promise<EndpointView> {
    return this.toView(e, await this.repo.secretsOf(em, [e.id]));
  }

  private toView(e: EndpointEntity, secrets: EndpointSecretEntity[]): EndpointView {
    const now = Date.now();
    return {
      id: e.id,
      url: e.url,
      description: e.description,
      enabled: e.enabled,
      disabledReason: e.disabledReason,
      eventTypes: e.eventTypes,
      initiatedFrom: e.initiatedFrom as InitiatedFrom[] | null,
      listId: e.listId,
      filter: (e.filter ?? null) as FilterExpr | null,
      format: e.format as DeliveryFormat,
      rateLimitPerSecond: e.rateLimitPerSecond,
      maxConcurrency: e.maxConcurrency,
      secrets: secrets
        .filter((s) => s.endpointId === e.id && (s.expiresAt === null || s.expiresAt.getTime() > now))
        .map((s) => ({ id: s.id, createdAt: s.createdAt.toISOString(), expiresAt: s.expiresAt ? s.expiresAt.toISOString() : null })),
      version: e.version,
      createdAt: e.createdAt.toISOString(),
      updatedAt: e.updatedAt.toISOString(),
    };
  }
}
