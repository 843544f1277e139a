import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { OUTBOUND_EVENT_TYPES, topicPlan } from '@hookstream/contracts';
import { startControlApi, type TestApp } from './control-api.harness';

const asyncApi3 = require('@asyncapi/specs/schemas/3.0.0-without-$id.json') as object;

type Json = Record<string, unknown>;

describe('control-api: published contracts', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startControlApi({}, { consumer: false });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('GET /asyncapi.json validates against the official AsyncAPI 3.0.0 schema and lists every topic', async () => {
    const res = await t.request('GET', '/asyncapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ asyncapi: string; channels: Record<string, { address: string }> }>();
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(asyncApi3);
    expect({ valid: validate(doc), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
    expect(doc.asyncapi).toBe('3.0.0');
    expect(Object.values(doc.channels).map((c) => c.address).sort()).toEqual(topicPlan().map((p) => p.name).sort());
  });

  it('GET /asyncapi renders the document as a page without scripts', async () => {
    const res = await t.request('GET', '/asyncapi');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    for (const p of topicPlan()) expect(res.body).toContain(p.name);
    expect(res.body).not.toMatch(/<script/i);
  });

  it('the OpenAPI 3.1 document lists every outbound event type under webhooks, and each example validates against its schema', async () => {
    const doc = (await t.request('GET', '/docs-json')).json<{ openapi: string; webhooks: Record<string, Json>; components: { schemas: Json } }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.webhooks).sort()).toEqual([...OUTBOUND_EVENT_TYPES].sort());
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    ajv.addSchema({ $id: 'openapi', components: doc.components });
    for (const [type, item] of Object.entries(doc.webhooks)) {
      const media = (((item['post'] as Json)['requestBody'] as Json)['content'] as Json)['application/json'] as { schema: { $ref: string }; example: unknown };
      const validate = ajv.compile({ $ref: `openapi${media.schema.$ref}` });
      expect({ type, valid: validate(media.example), errors: validate.errors ?? null }).toEqual({ type, valid: true, errors: null });
    }
  });

  it('GET /v1/event-types gives the dashboard the same types, self-contained schemas and examples', async () => {
    const res = await t.request('GET', '/v1/event-types');
    expect(res.statusCode).toBe(200);
    const { data } = res.json<{ data: { type: string; schema: object; example: unknown }[] }>();
    expect(data.map((d) => d.type)).toEqual([...OUTBOUND_EVENT_TYPES]);
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    for (const d of data) {
      expect(JSON.stringify(d.schema)).not.toContain('$ref');
      expect(ajv.validate(d.schema, d.example)).toBe(true);
    }
  });
});
