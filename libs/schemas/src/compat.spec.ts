import { Topics, TOPIC_CONTRACTS, type DtoClass, type TopicContract } from '@hookstream/contracts';
import { buildAsyncApi, channelId } from './asyncapi';
import { breakingChanges, topicVersion, type BreakKind } from './compat';
import {
  OrderEnumNarrowed, OrderExtended, OrderFieldNewlyRequired, OrderFieldRemoved, OrderFieldRetyped, OrderPublished,
} from './compat.fixture';
import type { JsonSchema } from './json-schema';

/** A one-topic document whose events.raw messages are the given fixture class. */
function docWith(value: DtoClass): JsonSchema {
  const base = TOPIC_CONTRACTS.find((c) => c.topic === Topics.eventsRaw)!;
  const contract: TopicContract = { ...base, value: [value] };
  return buildAsyncApi([contract]);
}

function kinds(published: DtoClass, next: DtoClass): [string, BreakKind][] {
  return breakingChanges(docWith(published), docWith(next)).map((b) => [b.path, b.kind]);
}

/** The same document with one topic renamed, as a version bump does. */
function renamed(doc: JsonSchema, from: string, to: string): JsonSchema {
  const copy = JSON.parse(JSON.stringify(doc)) as JsonSchema;
  const channels = copy['channels'] as Record<string, JsonSchema>;
  for (const ch of Object.values(channels)) {
    if (ch['address'] === from) ch['address'] = to;
    if (ch['address'] === `${from}.dlq`) ch['address'] = `${to}.dlq`;
  }
  return copy;
}

describe('compatibility gate (fixtures)', () => {
  it('fails on a removed field', () => {
    expect(kinds(OrderPublished, OrderFieldRemoved)).toContainEqual(['payload.quantity', 'removed']);
  });

  it('fails on a retyped field', () => {
    expect(kinds(OrderPublished, OrderFieldRetyped)).toContainEqual(['payload.quantity', 'retyped']);
  });

  it('fails on a field newly required (and on the null it no longer accepts)', () => {
    const found = kinds(OrderPublished, OrderFieldNewlyRequired);
    expect(found).toContainEqual(['payload.note', 'newly-required']);
    expect(found).toContainEqual(['payload.note', 'retyped']);
  });

  it('fails on a narrowed enum', () => {
    expect(kinds(OrderPublished, OrderEnumNarrowed)).toContainEqual(['payload.status', 'enum-narrowed']);
  });

  it('passes an added optional member and a widened enum', () => {
    expect(kinds(OrderPublished, OrderExtended)).toEqual([]);
  });

  it('reports the topic of each break, on the DLQ twin too (its messages are the same shape)', () => {
    const breaks = breakingChanges(docWith(OrderPublished), docWith(OrderFieldRemoved));
    expect(new Set(breaks.map((b) => b.topic))).toEqual(new Set([Topics.eventsRaw, `${Topics.eventsRaw}.dlq`]));
  });

  it('passes a breaking change published under a bumped topic version, and fails a topic simply removed', () => {
    const v1 = docWith(OrderPublished);
    const v2 = renamed(docWith(OrderFieldRemoved), Topics.eventsRaw, Topics.eventsRaw.replace(/\.v1$/, '.v2'));
    expect(breakingChanges(v1, v2)).toEqual([]);
    const gone = renamed(docWith(OrderPublished), Topics.eventsRaw, 'hookstream.something-else.v1');
    expect(breakingChanges(v1, gone).map((b) => b.kind)).toContain('topic-removed');
  });

  it('catches a breaking edit of the real contracts: a canonical-event member removed, an enum narrowed, a header retyped', () => {
    const published = buildAsyncApi();
    const next = JSON.parse(JSON.stringify(published)) as JsonSchema;
    const schemas = (next['components'] as JsonSchema)['schemas'] as Record<string, JsonSchema>;
    delete (schemas['PersonDto']!['properties'] as JsonSchema)['firstName'];
    ((schemas['CanonicalEventDto']!['properties'] as JsonSchema)['initiatedFrom'] as JsonSchema)['enum'] = ['public', 'api'];
    const enriched = ((next['components'] as JsonSchema)['messages'] as Record<string, JsonSchema>)[channelId(Topics.eventsEnriched)]!;
    ((enriched['headers'] as JsonSchema)['properties'] as JsonSchema)['ce_time'] = { type: 'integer' };

    const breaks = breakingChanges(published, next).filter((b) => b.topic === Topics.eventsEnriched);
    expect(breaks.map((b) => [b.path, b.kind])).toEqual(expect.arrayContaining([
      ['payload.person.firstName', 'removed'],
      ['payload.initiatedFrom', 'enum-narrowed'],
      ['headers.ce_time', 'retyped'],
    ]));
  });

  it('reads topic versions, DLQ twins included', () => {
    expect(topicVersion('hookstream.events.enriched.v1')).toEqual({ base: 'hookstream.events.enriched', version: 1 });
    expect(topicVersion('hookstream.events.enriched.v2.dlq')).toEqual({ base: 'hookstream.events.enriched.dlq', version: 2 });
    expect(topicVersion('no-version')).toBeUndefined();
  });
});
