import {
  ContactEventAttributesDto, OUTBOUND_EVENT_DESCRIPTIONS, OUTBOUND_EVENT_TYPES, webhookExampleData, WebhookBodyDto,
} from '@hookstream/contracts';
import { dtoSchemas, isSchema, type JsonSchema, type JsonValue } from './json-schema';

export const OPENAPI_SCHEMA_REF = '#/components/schemas/';

export interface OutboundEventDoc {
  type: string;
  description: string;
  /** JSON Schema of the webhook's JSON body for this type (`$ref`s into `schemas`). */
  schema: JsonSchema;
  /** An example body; "send sample data" sends the same one with fresh ids. */
  example: { type: string; timestamp: string; data: Record<string, unknown> };
}

export interface WebhookCatalog {
  /** Shared component schemas the per-type schemas reference. */
  schemas: Record<string, JsonSchema>;
  events: OutboundEventDoc[];
}

const EXAMPLE_TIME = new Date('2026-02-28T14:30:00.000Z');

/** The component name of a type's body schema, e.g. `Webhook.contact.tag_added`. */
export function webhookSchemaName(type: string): string {
  return `Webhook.${type}`;
}

/**
 * One JSON Schema and one example per outbound event type. The schemas are the generated
 * `WebhookBodyDto` schema narrowed to the type (its `type` and `data.type` fixed; contact and
 * deal events' `attributes` described); the examples come from `webhookExampleData`.
 */
export function webhookCatalog(refPrefix = OPENAPI_SCHEMA_REF): WebhookCatalog {
  const schemas = dtoSchemas([WebhookBodyDto, ContactEventAttributesDto], refPrefix);
  const body = schemas[WebhookBodyDto.name];
  const bodyProps = body?.['properties'];
  if (!body || !isSchema(bodyProps)) throw new Error('WebhookBodyDto has no generated schema');
  const events = OUTBOUND_EVENT_TYPES.map((type): OutboundEventDoc => {
    const crm = type.startsWith('contact.') || type.startsWith('deal.');
    const narrowData: JsonSchema = { type: 'object', properties: { type: { type: 'string', enum: [type] } } };
    if (crm) (narrowData['properties'] as JsonSchema)['attributes'] = { $ref: `${refPrefix}${ContactEventAttributesDto.name}` };
    const schema: JsonSchema = {
      ...body,
      title: `${type} webhook`,
      description: OUTBOUND_EVENT_DESCRIPTIONS[type],
      properties: {
        ...bodyProps,
        type: { type: 'string', enum: [type] },
        data: { allOf: [bodyProps['data'] ?? {}, narrowData] },
      },
    };
    const data = webhookExampleData(type, { accountId: 'acc_01example', eventId: 'evt_01example', now: EXAMPLE_TIME });
    return { type, description: OUTBOUND_EVENT_DESCRIPTIONS[type], schema, example: { type, timestamp: EXAMPLE_TIME.toISOString(), data } };
  });
  return { schemas, events };
}

/** A copy of `schema` with every `$ref` into `schemas` replaced by its target: self-contained, for the dashboard. */
export function inlineRefs(schema: JsonValue, schemas: Record<string, JsonSchema>, refPrefix = OPENAPI_SCHEMA_REF, depth = 0): JsonValue {
  if (depth > 32) throw new Error('schema nesting too deep to inline');
  if (Array.isArray(schema)) return schema.map((s) => inlineRefs(s, schemas, refPrefix, depth + 1));
  if (!isSchema(schema)) return schema;
  const ref = schema['$ref'];
  if (typeof ref === 'string' && ref.startsWith(refPrefix)) {
    const target = schemas[ref.slice(refPrefix.length)];
    if (!target) throw new Error(`unresolved $ref ${ref}`);
    return inlineRefs(target, schemas, refPrefix, depth + 1);
  }
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema)) out[k] = inlineRefs(v, schemas, refPrefix, depth + 1);
  return out;
}

const WEBHOOK_HEADERS: JsonSchema[] = [
  { name: 'webhook-id', in: 'header', required: true, description: 'Identical on every retry of this delivery: deduplicate on it.', schema: { type: 'string', pattern: '^msg_[0-9a-z]+$' } },
  { name: 'webhook-timestamp', in: 'header', required: true, description: 'Unix seconds of this attempt; reject stale ones (e.g. older than 5 minutes).', schema: { type: 'string', pattern: '^[0-9]+$' } },
  {
    name: 'webhook-signature', in: 'header', required: true,
    description: 'Standard Webhooks: space-separated `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, one per live secret (whsec_…).',
    schema: { type: 'string' },
  },
];

/**
 * The OpenAPI 3.1 `webhooks` section (one entry per outbound event type) and the component
 * schemas it references, to merge into control-api's document.
 */
export function openApiWebhooks(): { webhooks: JsonSchema; schemas: Record<string, JsonSchema> } {
  const catalog = webhookCatalog(OPENAPI_SCHEMA_REF);
  const schemas: Record<string, JsonSchema> = { ...catalog.schemas };
  const webhooks: JsonSchema = {};
  for (const e of catalog.events) {
    const name = webhookSchemaName(e.type);
    schemas[name] = e.schema;
    webhooks[e.type] = {
      post: {
        operationId: `webhook.${e.type}`,
        summary: `${e.type} event`,
        description:
          `${e.description}\n\nSent to every enabled endpoint subscribed to \`${e.type}\` (or a matching wildcard). ` +
          'Format `json` sends this body; format `form` sends the ActiveCampaign-compatible form encoding of the same event.',
        tags: ['Webhooks'],
        parameters: WEBHOOK_HEADERS,
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { $ref: `${OPENAPI_SCHEMA_REF}${name}` }, example: e.example as unknown as JsonValue },
            'application/x-www-form-urlencoded': {
              schema: { type: 'object', description: 'ActiveCampaign-style: `type`, `date_time`, `initiated_from`, `initiated_by`, `list`, `contact[…]`, `deal[…]`.' },
            },
          },
        },
        responses: {
          '2XX': { description: 'Received. Answer fast; any 2xx acknowledges.' },
          '410': { description: 'Gone: Hookstream disables the endpoint.' },
          default: { description: 'Anything else (or a timeout) is retried on the Standard Webhooks schedule, with the same webhook-id.' },
        },
      },
    };
  }
  return { webhooks, schemas };
}
