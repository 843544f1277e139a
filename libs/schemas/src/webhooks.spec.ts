import Ajv from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { OUTBOUND_EVENT_TYPES } from '@hookstream/contracts';
import { inlineRefs, openApiWebhooks, webhookCatalog, webhookSchemaName } from './webhooks';
import type { JsonSchema } from './json-schema';

function openApiValidator(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

describe('outbound webhook catalog', () => {
  const { webhooks, schemas } = openApiWebhooks();

  it('lists every outbound event type, each with a JSON body schema and an example', () => {
    expect(Object.keys(webhooks).sort()).toEqual([...OUTBOUND_EVENT_TYPES].sort());
    for (const type of OUTBOUND_EVENT_TYPES) {
      const content = (((webhooks[type] as JsonSchema)['post'] as JsonSchema)['requestBody'] as JsonSchema)['content'] as JsonSchema;
      expect(content['application/json']).toMatchObject({ schema: { $ref: `#/components/schemas/${webhookSchemaName(type)}` }, example: { type } });
    }
  });

  it('each example validates against its type\'s schema, and not against another type\'s', () => {
    const ajv = openApiValidator();
    ajv.addSchema({ $id: 'openapi', components: { schemas } });
    for (const type of OUTBOUND_EVENT_TYPES) {
      const validate = ajv.compile({ $ref: `openapi#/components/schemas/${webhookSchemaName(type)}` });
      const example = (((((webhooks[type] as JsonSchema)['post'] as JsonSchema)['requestBody'] as JsonSchema)['content'] as JsonSchema)['application/json'] as JsonSchema)['example'];
      expect({ type, ok: validate(example), errors: validate.errors ?? null }).toEqual({ type, ok: true, errors: null });
      const other = type === 'purchase' ? 'signup' : 'purchase';
      expect(validate({ ...(example as object), type: other })).toBe(false);
    }
  });

  it('the schemas reject a body that breaks the canonical event contract', () => {
    const ajv = openApiValidator();
    ajv.addSchema({ $id: 'openapi', components: { schemas } });
    const validate = ajv.compile({ $ref: `openapi#/components/schemas/${webhookSchemaName('contact.tag_added')}` });
    const good = webhookCatalog().events.find((e) => e.type === 'contact.tag_added')!.example;
    expect(validate(good)).toBe(true);
    expect(validate({ ...good, data: { ...good.data, person: undefined } })).toBe(false);
    expect(validate({ ...good, data: { ...good.data, attributes: { tags: 'vip' } } })).toBe(false);
  });

  it('inlines a type\'s schema into one self-contained schema for the dashboard', () => {
    const { events, schemas: shared } = webhookCatalog();
    const purchase = events.find((e) => e.type === 'purchase')!;
    const inlined = inlineRefs(purchase.schema, shared);
    expect(JSON.stringify(inlined)).not.toContain('$ref');
    const ajv = openApiValidator();
    expect(ajv.validate(inlined as object, purchase.example)).toBe(true);
  });
});
