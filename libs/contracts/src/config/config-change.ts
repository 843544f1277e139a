import { Type } from 'class-transformer';
import {
  IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsNumber, IsObject, IsOptional, IsString, Matches, Min, ValidateNested,
} from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { DELIVERY_FORMATS, type DeliveryFormat } from '../delivery/delivery.dto';
import { INITIATED_FROM, type InitiatedFrom } from '../events/canonical-event.dto';
import { SOURCE_DIALECTS, type SourceDialect } from '../events/raw-event.dto';

/**
 * Configuration snapshots published on the compacted config topic, keyed `<kind>:<id>`.
 * A null value (tombstone) deletes. Apps keep these in memory; no database read per request.
 * Secrets travel hashed (tokens) or encrypted with the deployment's SECRETS_KEY (signing secrets).
 */
export type ConfigKind = 'source' | 'endpoint' | 'automation' | 'account';

export class SourceTokenSnapshotDto {
  /** SHA-256 hex of the token. */
  @Matches(/^[0-9a-f]{64}$/) hash!: string;
  /** ISO time after which this token stops working; null = no expiry. */
  @IsOptional() @IsISO8601({ strict: true }) expiresAt!: string | null;
}
export type SourceTokenSnapshot = SourceTokenSnapshotDto;

/** A schema literal as `@JSONSchema` takes it (its type package is only a transitive dependency). */
type SchemaObject = Exclude<Parameters<typeof JSONSchema>[0], ((...args: never[]) => unknown) | { $ref: string }>;

export type SignatureScheme =
  | { kind: 'none' }
  | { kind: 'standard-webhooks'; secretEnc: string; toleranceSeconds?: number }
  | { kind: 'hmac-sha256-hex'; secretEnc: string; header: string; prefix?: string };

// The JSON Schema of the union above, for the published contract (class-validator cannot express unions).
const SIGNATURE_SCHEME_SCHEMA: SchemaObject = {
  oneOf: [
    { type: 'object', required: ['kind'], properties: { kind: { type: 'string', enum: ['none'] } } },
    {
      type: 'object', required: ['kind', 'secretEnc'],
      properties: { kind: { type: 'string', enum: ['standard-webhooks'] }, secretEnc: { type: 'string' }, toleranceSeconds: { type: 'number' } },
    },
    {
      type: 'object', required: ['kind', 'secretEnc', 'header'],
      properties: { kind: { type: 'string', enum: ['hmac-sha256-hex'] }, secretEnc: { type: 'string' }, header: { type: 'string' }, prefix: { type: 'string' } },
    },
  ],
};

export class DedupeOptionsDto {
  /** Canonical-event field paths, e.g. ['person.email', 'type', 'product.name']. */
  @IsArray() @IsString({ each: true }) fields!: string[];
  @IsInt() @Min(1) windowSeconds!: number;
}
export type DedupeOptions = DedupeOptionsDto;

export class SourceSnapshotDto {
  @IsIn(['source']) kind!: 'source';
  @IsString() id!: string;
  @IsString() accountId!: string;
  @IsString() name!: string;
  @IsIn(SOURCE_DIALECTS) dialect!: SourceDialect;
  @IsBoolean() enabled!: boolean;
  @IsArray() @ValidateNested({ each: true }) @Type(() => SourceTokenSnapshotDto) tokens!: SourceTokenSnapshotDto[];
  @IsObject() @JSONSchema(SIGNATURE_SCHEME_SCHEMA) signature!: SignatureScheme;
  @IsOptional() @ValidateNested() @Type(() => DedupeOptionsDto) dedupe!: DedupeOptionsDto | null;
  /** Requests per second; null = the gateway's default. */
  @IsOptional() @IsNumber() rateLimitPerSecond!: number | null;
  @IsIn(INITIATED_FROM) initiatedFrom!: InitiatedFrom;
  @IsOptional() @IsString() listId!: string | null;
  @IsInt() version!: number;
  @IsISO8601({ strict: true }) updatedAt!: string;
}
export type SourceSnapshot = SourceSnapshotDto;

export const FILTER_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists'] as const;

export interface FieldFilter {
  path: string;
  op: (typeof FILTER_OPS)[number];
  value?: unknown;
}

export type FilterExpr = FieldFilter | { and: FilterExpr[] } | { or: FilterExpr[] };

// The JSON Schema of FilterExpr (recursive union), for the published contract.
const FILTER_EXPR_SCHEMA: SchemaObject = {
  description: 'A field filter {path, op, value}, or {and: [...]} / {or: [...]} of filter expressions.',
  type: 'object',
  properties: {
    path: { type: 'string' },
    op: { type: 'string', enum: [...FILTER_OPS] },
    value: {},
    and: { type: 'array', items: { type: 'object' } },
    or: { type: 'array', items: { type: 'object' } },
  },
};

export class EndpointSecretSnapshotDto {
  @IsString() secretEnc!: string;
  @IsOptional() @IsISO8601({ strict: true }) expiresAt!: string | null;
}

export class EndpointSnapshotDto {
  @IsIn(['endpoint']) kind!: 'endpoint';
  @IsString() id!: string;
  @IsString() accountId!: string;
  @IsString() url!: string;
  @IsBoolean() enabled!: boolean;
  /** Exact or wildcard (`contact.*`, `*`). */
  @IsArray() @IsString({ each: true }) eventTypes!: string[];
  @IsOptional() @IsArray() @IsIn(INITIATED_FROM, { each: true }) initiatedFrom!: InitiatedFrom[] | null;
  @IsOptional() @IsString() listId!: string | null;
  @IsOptional() @IsObject() @JSONSchema(FILTER_EXPR_SCHEMA) filter!: FilterExpr | null;
  @IsIn(DELIVERY_FORMATS) format!: DeliveryFormat;
  /** Current and (during rotation) previous secret, encrypted. */
  @IsArray() @ValidateNested({ each: true }) @Type(() => EndpointSecretSnapshotDto) secrets!: EndpointSecretSnapshotDto[];
  @IsOptional() @IsNumber() rateLimitPerSecond!: number | null;
  @IsInt() maxConcurrency!: number;
  @IsInt() version!: number;
  @IsISO8601({ strict: true }) updatedAt!: string;
}
export type EndpointSnapshot = EndpointSnapshotDto;

export type AutomationAction =
  | { type: 'webhook'; endpointId: string }
  | { type: 'add_tag'; tag: string }
  | { type: 'remove_tag'; tag: string }
  | { type: 'add_to_list'; listId: string }
  | { type: 'remove_from_list'; listId: string };

// The JSON Schema of AutomationAction, for the published contract.
const AUTOMATION_ACTION_SCHEMA: SchemaObject = {
  oneOf: [
    { type: 'object', required: ['type', 'endpointId'], properties: { type: { type: 'string', enum: ['webhook'] }, endpointId: { type: 'string' } } },
    { type: 'object', required: ['type', 'tag'], properties: { type: { type: 'string', enum: ['add_tag', 'remove_tag'] }, tag: { type: 'string' } } },
    { type: 'object', required: ['type', 'listId'], properties: { type: { type: 'string', enum: ['add_to_list', 'remove_from_list'] }, listId: { type: 'string' } } },
  ],
};

export class AutomationTriggerDto {
  @IsArray() @IsString({ each: true }) eventTypes!: string[];
  @IsOptional() @IsArray() @IsString({ each: true }) sourceIds!: string[] | null;
  @IsOptional() @IsObject() @JSONSchema(FILTER_EXPR_SCHEMA) filter!: FilterExpr | null;
}

export class AutomationSnapshotDto {
  @IsIn(['automation']) kind!: 'automation';
  @IsString() id!: string;
  @IsString() accountId!: string;
  @IsString() name!: string;
  @IsBoolean() enabled!: boolean;
  @ValidateNested() @Type(() => AutomationTriggerDto) trigger!: AutomationTriggerDto;
  @IsArray() @JSONSchema({ items: AUTOMATION_ACTION_SCHEMA }) actions!: AutomationAction[];
  @IsInt() version!: number;
  @IsISO8601({ strict: true }) updatedAt!: string;
}
export type AutomationSnapshot = AutomationSnapshotDto;

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
