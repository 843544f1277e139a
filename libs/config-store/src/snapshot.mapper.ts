import {
  DELIVERY_FORMATS, INITIATED_FROM, SOURCE_DIALECTS,
  type AutomationAction, type AutomationSnapshot, type DedupeOptions, type DeliveryFormat, type EndpointSnapshot,
  type FilterExpr, type InitiatedFrom, type SignatureScheme, type SourceDialect, type SourceSnapshot,
} from '@hookstream/contracts';
import type { AutomationEntity, EndpointEntity, EndpointSecretEntity, SourceEntity, SourceTokenEntity } from '@hookstream/db';

/**
 * Entities → config snapshots. The only place that decides what other apps learn about a source,
 * endpoint or automation. Snapshots carry token hashes and sealed secrets, never a usable credential,
 * and omit credentials that have already expired (consumers still check expiry themselves).
 */

function oneOf<T extends string>(allowed: readonly T[], value: string, what: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`stored ${what} "${value}" is not one of ${allowed.join(', ')}`);
}

function live(expiresAt: Date | null, now: Date): boolean {
  return expiresAt === null || expiresAt.getTime() > now.getTime();
}

/** Current (non-expiring) credential first, then those in their grace period, latest expiry first. */
function byCurrentFirst<T extends { expiresAt: Date | null; createdAt: Date; id: string }>(a: T, b: T): number {
  if (a.expiresAt === null && b.expiresAt !== null) return -1;
  if (b.expiresAt === null && a.expiresAt !== null) return 1;
  const exp = (b.expiresAt?.getTime() ?? 0) - (a.expiresAt?.getTime() ?? 0);
  if (exp !== 0) return exp;
  return b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1);
}

export function toSignatureScheme(stored: Record<string, unknown>): SignatureScheme {
  const kind = stored['kind'];
  const secretEnc = stored['secretEnc'];
  if (kind === 'none' || kind === undefined) return { kind: 'none' };
  if (typeof secretEnc !== 'string') throw new Error(`stored signature scheme "${String(kind)}" has no sealed secret`);
  if (kind === 'standard-webhooks') {
    const tolerance = stored['toleranceSeconds'];
    return { kind, secretEnc, ...(typeof tolerance === 'number' ? { toleranceSeconds: tolerance } : {}) };
  }
  if (kind === 'hmac-sha256-hex') {
    const header = stored['header'];
    const prefix = stored['prefix'];
    if (typeof header !== 'string') throw new Error('stored hmac-sha256-hex scheme has no header');
    return { kind, secretEnc, header, ...(typeof prefix === 'string' && prefix !== '' ? { prefix } : {}) };
  }
  throw new Error(`stored signature scheme kind "${String(kind)}" is unknown`);
}

export function toSourceSnapshot(source: SourceEntity, tokens: readonly SourceTokenEntity[], now: Date = new Date()): SourceSnapshot {
  const dedupe: DedupeOptions | null = source.dedupe ? { fields: [...source.dedupe.fields], windowSeconds: source.dedupe.windowSeconds } : null;
  return {
    kind: 'source',
    id: source.id,
    accountId: source.accountId,
    name: source.name,
    dialect: oneOf<SourceDialect>(SOURCE_DIALECTS, source.dialect, 'dialect'),
    enabled: source.enabled,
    tokens: tokens
      .filter((t) => t.sourceId === source.id && live(t.expiresAt, now))
      .sort(byCurrentFirst)
      .map((t) => ({ hash: t.tokenHash, expiresAt: t.expiresAt ? t.expiresAt.toISOString() : null })),
    signature: toSignatureScheme(source.signature),
    dedupe,
    rateLimitPerSecond: source.rateLimitPerSecond,
    initiatedFrom: oneOf<InitiatedFrom>(INITIATED_FROM, source.initiatedFrom, 'initiatedFrom'),
    listId: source.listId,
    version: source.version,
    updatedAt: source.updatedAt.toISOString(),
  };
}

export function toEndpointSnapshot(endpoint: EndpointEntity, secrets: readonly EndpointSecretEntity[], now: Date = new Date()): EndpointSnapshot {
  return {
    kind: 'endpoint',
    id: endpoint.id,
    accountId: endpoint.accountId,
    url: endpoint.url,
    enabled: endpoint.enabled,
    eventTypes: [...endpoint.eventTypes],
    initiatedFrom: endpoint.initiatedFrom ? endpoint.initiatedFrom.map((f) => oneOf<InitiatedFrom>(INITIATED_FROM, f, 'initiatedFrom')) : null,
    listId: endpoint.listId,
    filter: (endpoint.filter ?? null) as FilterExpr | null,
    format: oneOf<DeliveryFormat>(DELIVERY_FORMATS, endpoint.format, 'format'),
    secrets: secrets
      .filter((s) => s.endpointId === endpoint.id && live(s.expiresAt, now))
      .sort(byCurrentFirst)
      .map((s) => ({ secretEnc: s.secretEnc, expiresAt: s.expiresAt ? s.expiresAt.toISOString() : null })),
    rateLimitPerSecond: endpoint.rateLimitPerSecond,
    maxConcurrency: endpoint.maxConcurrency,
    version: endpoint.version,
    updatedAt: endpoint.updatedAt.toISOString(),
  };
}

interface StoredTrigger {
  eventTypes?: unknown;
  sourceIds?: unknown;
  filter?: unknown;
}

function stringArray(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`stored ${what} is not a list of strings`);
  return [...v];
}

function toAction(v: unknown): AutomationAction {
  const a = (v ?? {}) as Record<string, unknown>;
  const str = (k: string): string => {
    if (typeof a[k] !== 'string') throw new Error(`stored automation action "${String(a['type'])}" lacks ${k}`);
    return a[k] as string;
  };
  switch (a['type']) {
    case 'webhook':
      return { type: 'webhook', endpointId: str('endpointId') };
    case 'add_tag':
    case 'remove_tag':
      return { type: a['type'], tag: str('tag') };
    case 'add_to_list':
    case 'remove_from_list':
      return { type: a['type'], listId: str('listId') };
    default:
      throw new Error(`stored automation action type "${String(a['type'])}" is unknown`);
  }
}

export function toAutomationSnapshot(automation: AutomationEntity): AutomationSnapshot {
  const trigger = (automation.trigger ?? {}) as StoredTrigger;
  return {
    kind: 'automation',
    id: automation.id,
    accountId: automation.accountId,
    name: automation.name,
    enabled: automation.enabled,
    trigger: {
      eventTypes: stringArray(trigger.eventTypes, 'trigger.eventTypes'),
      sourceIds: trigger.sourceIds === null || trigger.sourceIds === undefined ? null : stringArray(trigger.sourceIds, 'trigger.sourceIds'),
      filter: (trigger.filter ?? null) as FilterExpr | null,
    },
    actions: (Array.isArray(automation.actions) ? automation.actions : []).map(toAction),
    version: automation.version,
    updatedAt: automation.updatedAt.toISOString(),
  };
}
