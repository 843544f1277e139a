import type { OpenAPIObject } from '@nestjs/swagger';

type Json = Record<string, unknown>;

const ERROR = { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } } };
const REASON = { type: 'object', required: ['path', 'rule', 'message'], properties: { path: { type: 'string' }, rule: { type: 'string' }, message: { type: 'string' }, value: { type: 'string' } } };

function errorResponse(description: string, retryAfter = false): Json {
  return {
    description,
    ...(retryAfter ? { headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait before retrying (with the same Idempotency-Key)' } } } : {}),
    content: { 'application/json': { schema: ERROR } },
  };
}

const DRY_RUN = {
  name: 'dry_run',
  in: 'query',
  required: false,
  schema: { type: 'boolean', default: false },
  description:
    'Validate synchronously and answer the verdict without publishing anything: **200** `{"valid": true, "event": {…canonical event}}` or **200** `{"valid": false, "reasons": [{path, rule, message}]}`. ' +
    'An invalid payload is still a 200: the request was understood, the verdict is in the body.',
};

const DRY_RUN_ANSWER = {
  description: '`dry_run=true` only: the verdict. Status 200 whether or not the event is valid; nothing was published.',
  content: {
    'application/json': {
      schema: {
        oneOf: [
          { type: 'object', required: ['valid', 'event'], properties: { valid: { const: true }, event: { type: 'object', description: 'The canonical event it would become' } } },
          { type: 'object', required: ['valid', 'reasons'], properties: { valid: { const: false }, reasons: { type: 'array', items: REASON } } },
        ],
      },
      examples: {
        valid: { value: { valid: true, event: { id: 'evt_…', type: 'purchase', person: { firstName: 'Sarah' } } } },
        invalid: { value: { valid: false, reasons: [{ path: 'timestamp', rule: 'required', message: 'timestamp is required' }] } },
      },
    },
  },
};

function ingestOperation(batch: boolean): Json {
  return {
    tags: ['ingest (gateway)'],
    summary: batch ? 'Send a batch of events (a JSON array)' : 'Send one event (the public webhook URL)',
    description:
      'Served by the **ingest gateway** (see `servers`), not by the control API. Authenticate with the source token as `?token=` or `Authorization: Bearer`. ' +
      'Bodies: `application/json` or `application/x-www-form-urlencoded`. `Idempotency-Key` or `webhook-id` become the dedupe key.',
    security: [],
    parameters: [
      { name: 'sourceId', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'token', in: 'query', required: false, schema: { type: 'string' }, description: 'The source token (or send it as a Bearer token)' },
      DRY_RUN,
      { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } },
    ],
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: batch ? { type: 'array', items: { type: 'object' } } : { type: 'object' } },
        ...(batch ? {} : { 'application/x-www-form-urlencoded': { schema: { type: 'object' } } }),
      },
    },
    responses: {
      '202': {
        description: 'Durably stored in Kafka (acks=all)',
        content: { 'application/json': { schema: batch ? { type: 'object', properties: { ids: { type: 'array', items: { type: 'string' } } } } : { type: 'object', properties: { id: { type: 'string' } } } } },
      },
      '200': DRY_RUN_ANSWER,
      '400': errorResponse('Unreadable or wrongly shaped body, or JSON nested too deep'),
      '401': errorResponse('Unknown or disabled source, wrong token, or bad signature (indistinguishable)'),
      '408': errorResponse('The request (headers or body) did not arrive in time'),
      '413': errorResponse('Body (or a batch item) too large'),
      '415': errorResponse('Unsupported content type'),
      '429': errorResponse("Over the source's rate limit", true),
      '503': errorResponse('Kafka did not acknowledge in time: the event may or may not have been stored; retry with the same Idempotency-Key', true),
    },
  };
}

/**
 * The gateway has no OpenAPI of its own; its two routes are described here, in the control API's
 * document, with the gateway's public address as their server — above all the dry run, whose
 * "200 with valid: false" surprises clients that expect a 4xx.
 */
export function withIngest(doc: OpenAPIObject, gatewayBaseUrl: string): OpenAPIObject {
  const servers = [{ url: gatewayBaseUrl, description: 'ingest gateway (PUBLIC_BASE_URL)' }];
  return {
    ...doc,
    paths: {
      ...doc.paths,
      '/v1/hooks/{sourceId}': { servers, post: ingestOperation(false) } as unknown as OpenAPIObject['paths'][string],
      '/v1/hooks/{sourceId}/batch': { servers, post: ingestOperation(true) } as unknown as OpenAPIObject['paths'][string],
    },
  };
}
