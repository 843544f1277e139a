import type { DeliveryFormat } from '../delivery/delivery.dto';
import type { InitiatedFrom } from '../events/canonical-event.dto';
import type { SourceDialect } from '../events/raw-event.dto';

/**
 * Configuration snapshots published on the compacted config topic, keyed `<kind>:<id>`.
 * A null value (tombstone) deletes. Apps keep these in memory; no database read per request.
 * Secrets travel hashed (tokens) or encrypted with the deployment's SECRETS_KEY (signing secrets).
 */
export type ConfigKind = 'source' | 'endpoint' | 'automation' | 'account';

export interface SourceTokenSnapshot {
  /** SHA-256 hex of the token. */
  hash: string;
  /** ISO time after which this token stops working; null = no expiry. */
  expiresAt: string | null;
}

export type SignatureScheme =
  | { kind: 'none' }
  | { kind: 'standard-webhooks'; secretEnc: string; toleranceSeconds?: number }
  | { kind: 'hmac-sha256-hex'; secretEnc: string; header: string; prefix?: string };

export interface DedupeOptions {
  /** Canonical-event field paths, e.g. ['person.email', 'type', 'product.name']. */
  fields: string[];
  windowSeconds: number;
}

export interface SourceSnapshot {
  kind: 'source';
  id: string;
  accountId: string;
  name: string;
  dialect: SourceDialect;
  enabled: boolean;
  tokens: SourceTokenSnapshot[];
  signature: SignatureScheme;
  dedupe: DedupeOptions | null;
  /** Requests per second; null = the gateway's default. */
  rateLimitPerSecond: number | null;
  initiatedFrom: InitiatedFrom;
  listId: string | null;
  version: number;
  updatedAt: string;
}

export interface FieldFilter {
  path: string;
  op: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'contains' | 'exists';
  value?: unknown;
}

export type FilterExpr = FieldFilter | { and: FilterExpr[] } | { or: FilterExpr[] };

export interface EndpointSnapshot {
  kind: 'endpoint';
  id: string;
  accountId: string;
  url: string;
  enabled: boolean;
  /** Exact or wildcard (`contact.*`, `*`). */
  eventTypes: string[];
  initiatedFrom: InitiatedFrom[] | null;
  listId: string | null;
  filter: FilterExpr | null;
  format: DeliveryFormat;
  /** Current and (during rotation) previous secret, encrypted. */
  secrets: { secretEnc: string; expiresAt: string | null }[];
  rateLimitPerSecond: number | null;
  maxConcurrency: number;
  version: number;
  updatedAt: string;
}

export type AutomationAction =
  | { type: 'webhook'; endpointId: string }
  | { type: 'add_tag'; tag: string }
  | { type: 'remove_tag'; tag: string }
  | { type: 'add_to_list'; listId: string }
  | { type: 'remove_from_list'; listId: string };

export interface AutomationSnapshot {
  kind: 'automation';
  id: string;
  accountId: string;
  name: string;
  enabled: boolean;
  trigger: { eventTypes: string[]; sourceIds: string[] | null; filter: FilterExpr | null };
  actions: AutomationAction[];
  version: number;
  updatedAt: string;
}

export type ConfigSnapshot = SourceSnapshot | EndpointSnapshot | AutomationSnapshot;

export function configKey(kind: ConfigKind, id: string): string {
  return `${kind}:${id}`;
}

export function parseConfigKey(key: string): { kind: ConfigKind; id: string } | undefined {
  const i = key.indexOf(':');
  if (i <= 0) return undefined;
  const kind = key.slice(0, i);
  if (kind !== 'source' && kind !== 'endpoint' && kind !== 'automation' && kind !== 'account') return undefined;
  return { kind, id: key.slice(i + 1) };
}
