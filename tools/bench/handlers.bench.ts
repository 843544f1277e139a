/*
 * CPU per event of the enricher's and automation's batch handlers alone, in this process: no broker,
 * no database (name_history and contacts answer "nothing stored" and accept every write), so the
 * figures are the apps' own work per event — planning, enrichment, JSON, ids — and, in the "with
 * produce encoding" column, kafkajs' encoding of the Produce request their output becomes (what the
 * shared producer hands to the socket). The rest of an app's CPU per event in the pipeline bench
 * (fetch and decode, commits, statements, GC, sockets) is not here. Batches of BENCH_HANDLER_BATCH
 * (50) purchases, each of a new person, like the pipeline bench's; automation at fan-out 1 and 10
 * (endpoints subscribed to purchase). Fastest of ROUNDS rounds.
 *
 *   BENCH_SKIP_BUILD=1 npm run bench -- handlers
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyLocation, Topics, type CanonicalEvent, type EndpointSnapshot } from '@hookstream/contracts';
import type { DataSource } from '@hookstream/db';
import { encodeHeaders, encodeValue, type EventProducer, type InboundMessage, type OutboundMessage } from '@hookstream/kafka';
import { AutomationIndex, SubscriptionIndex } from '@hookstream/rules';
import type { AutomationConfig } from '../../apps/automation/src/automation.config';
import { AutomationService } from '../../apps/automation/src/automation/automation.service';
import { ContactsRepository, type LoadedContacts } from '../../apps/automation/src/automation/contacts.repository';
import type { RulesCache } from '../../apps/automation/src/config-cache/rules.cache';
import type { EnricherConfig } from '../../apps/enricher/src/enricher.config';
import type { KnownName } from '@hookstream/enrichment';
import { EnrichmentService } from '../../apps/enricher/src/enrichment/enrichment.service';
import { NamesRepository } from '../../apps/enricher/src/enrichment/names.repository';

// kafkajs' own Produce v3 request (as its producer builds it), to weigh the encoding of the output.
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request') as (args: unknown) => { encode(): Promise<unknown> };

const ROOT = join(__dirname, '..', '..');
const BATCH = Number(process.env['BENCH_HANDLER_BATCH'] ?? 50);
const BATCHES = Number(process.env['BENCH_HANDLER_BATCHES'] ?? 200);
const ROUNDS = 5;
const NOW = new Date().toISOString();
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

class NothingStoredNames extends NamesRepository {
  constructor() {
    super(undefined as unknown as DataSource);
  }
  override async load(): Promise<Map<string, KnownName>> {
    return new Map<string, KnownName>();
  }
  override async save(): Promise<void> {
    // Accepted: nothing to wait for.
  }
}

class NothingStoredContacts extends ContactsRepository {
  constructor() {
    super(undefined as unknown as DataSource);
  }
  override async load(): Promise<LoadedContacts> {
    return { contacts: new Map(), versions: new Map() };
  }
  override async save(): Promise<string[]> {
    return [];
  }
}

/** Encodes what it is given as libs/kafka does (value, CloudEvents headers), then, if asked, as kafkajs' Produce request. */
class EncodingProducer implements EventProducer {
  encodeRequest = true;
  records = 0;
  async send(topic: string, messages: OutboundMessage[]): Promise<void> {
    const encoded = messages.map((m) => ({ key: m.key, value: encodeValue(m.value), headers: encodeHeaders(m) }));
    this.records += encoded.length;
    if (!this.encodeRequest) return;
    await produceRequest({ acks: -1, timeout: 5000, topicData: [{ topic, partitions: [{ partition: 0, firstSequence: 0, messages: encoded }] }] }).encode();
  }
}

let seq = 0;
function purchase(validOnly: boolean): CanonicalEvent {
  seq++;
  const id = `evt_${seq.toString(36).padStart(26, '0')}`;
  const event = {
    id, accountId: 'acc_bench', sourceId: 'src_bench_0000000000000000', type: 'purchase', occurredAt: NOW, receivedAt: NOW, initiatedFrom: 'api',
    person: { email: `bench-${seq}@example.com`, firstName: 'Bench', lastName: null, ip: null, nameSource: validOnly ? null : 'payload' },
    location: validOnly ? { ...emptyLocation(), city: 'London', country: 'UK' } : { ...emptyLocation(), city: 'London', country: 'United Kingdom', countryCode: 'GB', source: 'payload' },
    product: { id: null, name: 'Running Shoes', link: null, image: null, price: 49, quantity: 1 }, products: [], amount: 49, currency: 'GBP',
    attributes: {}, dialect: 'activly', ...(validOnly ? {} : { enrichment: { applied: ['location.lookup'], warnings: [] } }),
  };
  // As the transport hands it over: parsed from JSON.
  return JSON.parse(JSON.stringify(event)) as CanonicalEvent;
}

function batch(topic: string, validOnly: boolean): InboundMessage<CanonicalEvent>[] {
  return Array.from({ length: BATCH }, () => {
    const value = purchase(validOnly);
    return {
      topic, partition: 0, offset: String(seq), key: `acc_bench:${value.person.email}`, value, headers: {}, timestamp: NOW,
      envelope: { id: value.id, type: 'hookstream.event.purchase', source: '/sources/src_bench', time: NOW, subject: value.accountId, traceparent: TRACEPARENT },
    };
  });
}

/** Fastest round's CPU µs per event of `handle` over BATCHES fresh batches. */
async function cpuUsPerEvent(make: () => InboundMessage<CanonicalEvent>[], handle: (b: InboundMessage<CanonicalEvent>[]) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await handle(make());
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const batches = Array.from({ length: BATCHES }, make);
    const t = process.cpuUsage();
    for (const b of batches) await handle(b);
    const u = process.cpuUsage(t);
    best = Math.min(best, (u.user + u.system) / (BATCHES * BATCH));
  }
  return best;
}

function endpoint(i: number): EndpointSnapshot {
  return {
    kind: 'endpoint', id: `ep_bench_${String(i).padStart(2, '0')}`, accountId: 'acc_bench', url: `http://127.0.0.1:9/${i}`, enabled: true, eventTypes: ['purchase'],
    initiatedFrom: null, listId: null, filter: null, format: 'json', secrets: [], rateLimitPerSecond: null, maxConcurrency: 10, version: 1, updatedAt: NOW,
  } as EndpointSnapshot;
}

async function main(): Promise<void> {
  const rows: { handler: string; alone: number; encoded: number; recordsPerEvent: number }[] = [];
  const producer = new EncodingProducer();
  const measure = async (handler: string, make: () => InboundMessage<CanonicalEvent>[], handle: (b: InboundMessage<CanonicalEvent>[]) => Promise<unknown>): Promise<void> => {
    producer.encodeRequest = false;
    const alone = await cpuUsPerEvent(make, handle);
    producer.encodeRequest = true;
    producer.records = 0;
    const before = seq;
    const encoded = await cpuUsPerEvent(make, handle);
    rows.push({ handler, alone, encoded, recordsPerEvent: producer.records / (seq - before) });
  };

  const enricherConfig = { EMAIL_KEY_SECRET: 'bench-email-key-secret-0123456789', ENRICHER_NAME_CACHE_BYTES: 4 * 1024 * 1024, GEOIP_DB_PATH: '' } as EnricherConfig;
  const enricher = new EnrichmentService(new NothingStoredNames(), producer, enricherConfig);
  await enricher.onModuleInit();
  await measure('enricher', () => batch(Topics.eventsValid, true), (b) => enricher.process(b));

  for (const fanout of [1, 10]) {
    const cache = { subscriptions: SubscriptionIndex.from(Array.from({ length: fanout }, (_, i) => endpoint(i))), automations: AutomationIndex.from([]) } as unknown as RulesCache;
    const automation = new AutomationService(cache, new NothingStoredContacts(), producer, { AUTOMATION_MAX_DEPTH: 5 } as AutomationConfig);
    await measure(`automation, fan-out ${fanout}`, () => batch(Topics.eventsEnriched, false), (b) => automation.process(b));
  }

  const md = [
    '# Batch handlers alone: CPU per event',
    '',
    `Batches of ${BATCH} purchases (each of a new person), ${BATCHES} batches × ${ROUNDS} rounds, fastest round; no broker, no database (Node ${process.version}).`,
    '',
    '| handler | µs / event, handler alone | µs / event, with Produce encoding | records produced / event |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.handler} | ${r.alone.toFixed(1)} | ${r.encoded.toFixed(1)} | ${r.recordsPerEvent.toFixed(0)} |`),
    '',
  ].join('\n');
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'handlers.json'), JSON.stringify({ batch: BATCH, batches: BATCHES, rounds: ROUNDS, node: process.version, rows }, null, 2));
  writeFileSync(join(ROOT, 'bench', 'results', 'handlers.md'), md);
  console.log(md);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
