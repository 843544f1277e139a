import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { ConsumerGroups, topicPlan, Topics } from '@hookstream/contracts';
import { buildAsyncApi, channelId } from './asyncapi';
import { breakingChanges, formatBreakingChanges } from './compat';
import type { JsonSchema } from './json-schema';
import { PUBLISHED_ASYNCAPI_PATH, readPublished, REGENERATE_COMMAND } from './published';

const ROOT = join(__dirname, '..', '..', '..');
const asyncApi3 = require('@asyncapi/specs/schemas/3.0.0-without-$id.json') as object;

function specValidator(): (doc: unknown) => string[] {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(asyncApi3);
  return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
}

describe('AsyncAPI document', () => {
  const doc = buildAsyncApi();
  const channels = doc['channels'] as Record<string, JsonSchema>;

  it('validates against the official AsyncAPI 3.0.0 schema', () => {
    const validate = specValidator();
    expect(validate(doc)).toEqual([]);
    // The validator is real: a channel that is not an object, or a missing info, fails it.
    expect(validate({ ...doc, info: undefined }).length).toBeGreaterThan(0);
    expect(validate({ ...doc, channels: { x: { address: 42 } } }).length).toBeGreaterThan(0);
  });

  it('lists every topic of the topic plan, DLQ twins included', () => {
    const addresses = Object.values(channels).map((c) => c['address']).sort();
    expect(addresses).toEqual(topicPlan().map((t) => t.name).sort());
  });

  it('gives each message its key, CloudEvents headers and the consumer groups that read it', () => {
    const enriched = channelId(Topics.eventsEnriched);
    const message = ((doc['components'] as JsonSchema)['messages'] as Record<string, JsonSchema>)[enriched]!;
    const headers = message['headers'] as JsonSchema;
    expect(headers['required']).toEqual(expect.arrayContaining(['ce_specversion', 'ce_id', 'ce_type', 'ce_source', 'ce_time', 'traceparent']));
    expect((message['bindings'] as JsonSchema)['kafka']).toMatchObject({ key: { type: 'string' } });
    expect(message['payload']).toEqual({ $ref: '#/components/schemas/CanonicalEventDto' });
    const ops = doc['operations'] as Record<string, JsonSchema>;
    expect(ops[`automation.receive.${enriched}`]).toMatchObject({ action: 'receive', bindings: { kafka: { groupId: { enum: [ConsumerGroups.automation] } } } });
    expect(ops[`enricher.send.${enriched}`]).toMatchObject({ action: 'send' });
    expect(channels[enriched]!['bindings']).toMatchObject({ kafka: { topicConfiguration: { 'cleanup.policy': ['delete'], 'retention.ms': 7 * 86_400_000 } } });
  });

  it('payload schemas accept what producers write: nulls where class-validator allows them', () => {
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    ajv.addSchema({ components: doc['components'] }, 'doc');
    const validate = ajv.compile({ $ref: 'doc#/components/schemas/CanonicalEventDto' });
    const event = {
      id: 'evt_0abc', accountId: 'acc_1', sourceId: 'src_1', type: 'purchase',
      occurredAt: '2026-02-28T14:30:00Z', receivedAt: '2026-02-28T14:30:00.120Z', initiatedFrom: 'api',
      person: { email: null, firstName: 'Sarah', lastName: null, ip: null, nameSource: 'payload' },
      location: { city: 'London', state: null, stateCode: null, country: 'United Kingdom', countryCode: 'GB', source: 'payload' },
      product: null, products: [], amount: 49, currency: 'GBP', attributes: {}, dialect: 'activly',
    };
    expect(validate(event)).toBe(true);
    expect(validate({ ...event, initiatedFrom: 'elsewhere' })).toBe(false);
    expect(validate({ ...event, person: undefined })).toBe(false);
  });

  it(`the committed copy (${PUBLISHED_ASYNCAPI_PATH}) is current`, () => {
    const published = readPublished(ROOT);
    if (!isDeepStrictEqual(published, doc)) {
      throw new Error(`${PUBLISHED_ASYNCAPI_PATH} is stale: the contracts changed. Run \`${REGENERATE_COMMAND}\` and commit the result.`);
    }
  });

  it('has no breaking change against the committed copy (a breaking change needs a new topic version)', () => {
    const published = readPublished(ROOT);
    expect(published).toBeDefined();
    const breaks = breakingChanges(published!, doc);
    if (breaks.length > 0) {
      throw new Error(`Breaking changes to published topics:\n${formatBreakingChanges(breaks)}\nPublish them as a new topic version (.v2), see libs/schemas/README.md.`);
    }
  });
});
