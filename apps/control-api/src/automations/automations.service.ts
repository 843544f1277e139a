import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { IdPrefix, newId, type AutomationAction, type AutomationSnapshot } from '@hookstream/contracts';
import { DataSource, type AutomationEntity, type EntityManager } from '@hookstream/db';
import { ApiError, ApiErrorCode } from '../common/api-error';
import { decodeCursor, pageLimit, toPage, type Page, type PageQueryDto } from '../common/pagination';
import { ConfigPublisherService } from '@hookstream/config-store';
import { toAutomationSnapshot } from '@hookstream/config-store';
import { EndpointsRepository } from '@hookstream/config-store';
import { SourcesRepository } from '../sources/sources.repository';
import type { AutomationActionDto, AutomationTriggerDto, AutomationView, CreateAutomationDto, UpdateAutomationDto } from './automations.dto';
import { AutomationsRepository } from './automations.repository';

/** Only the fields of each action's type: what the automation app reads, nothing more. */
export function toAction(a: AutomationActionDto): AutomationAction {
  switch (a.type) {
    case 'webhook':
      return { type: a.type, endpointId: a.endpointId ?? '' };
    case 'add_tag':
    case 'remove_tag':
      return { type: a.type, tag: a.tag ?? '' };
    case 'add_to_list':
    case 'remove_from_list':
      return { type: a.type, listId: a.listId ?? '' };
  }
}

function toTrigger(t: AutomationTriggerDto): AutomationSnapshot['trigger'] {
  return { eventTypes: t.eventTypes, sourceIds: t.sourceIds ?? null, filter: t.filter ?? null };
}

@Injectable()
export class AutomationsService {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    private readonly repo: AutomationsRepository,
    private readonly endpoints: EndpointsRepository,
    private readonly sources: SourcesRepository,
    private readonly publisher: ConfigPublisherService,
  ) {}

  async create(accountId: string, dto: CreateAutomationDto): Promise<AutomationView> {
    return this.ds.transaction(async (em) => {
      const trigger = toTrigger(dto.trigger);
      const actions = dto.actions.map(toAction);
      await this.assertReferences(em, accountId, trigger, actions);
      const id = newId(IdPrefix.automation);
      await this.repo.save(em, this.repo.create(em, { id, accountId, name: dto.name, enabled: dto.enabled ?? true, trigger, actions, version: 1 }));
      await this.publisher.publishAutomation(em, id);
      return this.view(await this.repo.find(em, accountId, id));
    });
  }

  async list(accountId: string, q: PageQueryDto): Promise<Page<AutomationView>> {
    const limit = pageLimit(q);
    const rows = await this.repo.list(this.ds.manager, accountId, limit + 1, decodeCursor(q.cursor));
    return toPage(rows, limit, (a) => this.view(a));
  }

  async get(accountId: string, id: string): Promise<AutomationView> {
    return this.view(await this.repo.find(this.ds.manager, accountId, id));
  }

  async update(accountId: string, id: string, dto: UpdateAutomationDto): Promise<AutomationView> {
    return this.ds.transaction(async (em) => {
      const a = await this.repo.lock(em, accountId, id);
      const current = toAutomationSnapshot(a);
      const trigger = dto.trigger !== undefined ? toTrigger(dto.trigger) : current.trigger;
      const actions = dto.actions !== undefined ? dto.actions.map(toAction) : current.actions;
      await this.assertReferences(em, accountId, trigger, actions);
      if (dto.name !== undefined) a.name = dto.name;
      if (dto.enabled !== undefined) a.enabled = dto.enabled;
      a.trigger = trigger;
      a.actions = actions;
      a.version += 1;
      await this.repo.save(em, a);
      await this.publisher.publishAutomation(em, id);
      return this.view(await this.repo.find(em, accountId, id));
    });
  }

  async remove(accountId: string, id: string): Promise<void> {
    await this.ds.transaction(async (em) => {
      await this.repo.lock(em, accountId, id);
      await this.repo.delete(em, id);
      await this.publisher.publishDeleted('automation', id);
    });
  }

  /** Endpoints and sources named by an automation must be the account's own (another account's look missing). */
  private async assertReferences(em: EntityManager, accountId: string, trigger: AutomationSnapshot['trigger'], actions: AutomationAction[]): Promise<void> {
    const endpointIds = [...new Set(actions.flatMap((a) => (a.type === 'webhook' ? [a.endpointId] : [])))];
    const sourceIds = [...new Set(trigger.sourceIds ?? [])];
    const [endpoints, sources] = await Promise.all([this.endpoints.existing(em, accountId, endpointIds), this.sources.existing(em, accountId, sourceIds)]);
    const details = [
      ...actions.flatMap((a, i) => (a.type === 'webhook' && !endpoints.has(a.endpointId) ? [{ field: `actions[${i}].endpointId`, code: 'unknown_endpoint', message: `endpoint ${a.endpointId} not found` }] : [])),
      ...(trigger.sourceIds ?? []).flatMap((s, i) => (!sources.has(s) ? [{ field: `trigger.sourceIds[${i}]`, code: 'unknown_source', message: `source ${s} not found` }] : [])),
    ];
    if (details.length > 0) throw new ApiError(ApiErrorCode.invalidReference, details.map((d) => d.message).join('; '), HttpStatus.BAD_REQUEST, details);
  }

  private view(a: AutomationEntity): AutomationView {
    const s = toAutomationSnapshot(a);
    return { id: s.id, name: s.name, enabled: s.enabled, trigger: s.trigger, actions: s.actions, version: s.version, createdAt: a.createdAt.toISOString(), updatedAt: s.updatedAt };
  }
}
