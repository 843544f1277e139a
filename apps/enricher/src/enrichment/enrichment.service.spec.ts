import { emptyLocation, Topics, type CanonicalEvent } from '@hookstream/contracts';
import type { DataSource } from '@hookstream/db';
import type { EventProducer, InboundMessage, OutboundMessage } from '@hookstream/kafka';
import type { KnownName } from '@hookstream/enrichment';
import type { EnricherConfig } from '../enricher.config';
import { EnrichmentService } from './enrichment.service';
import { NamesRepository } from './names.repository';

/** A step that resolves or fails only when the test says so. */
class Gate {
  started = false;
  private settle: { resolve(): void; reject(e: Error): void } | undefined;
  run(): Promise<void> {
    this.started = true;
    return new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
  }
  pass(): void {
    this.settle?.resolve();
  }
  fail(e: Error): void {
    this.settle?.reject(e);
  }
}

class GatedNames extends NamesRepository {
  readonly gate = new Gate();
  readonly saved: unknown[] = [];
  constructor() {
    super(undefined as unknown as DataSource);
  }
  override async load(): Promise<Map<string, KnownName>> {
    return new Map<string, KnownName>();
  }
  override async save(learned: unknown[]): Promise<void> {
    await this.gate.run();
    this.saved.push(...learned);
  }
}

class GatedProducer implements EventProducer {
  readonly gate = new Gate();
  readonly sent: { topic: string; messages: OutboundMessage[] }[] = [];
  async send(topic: string, messages: OutboundMessage[]): Promise<void> {
    await this.gate.run();
    this.sent.push({ topic, messages });
  }
}

const config = { EMAIL_KEY_SECRET: 'unit-test-email-key-secret', ENRICHER_NAME_CACHE_BYTES: 1024 * 1024 } as EnricherConfig;

function message(id: string): InboundMessage<CanonicalEvent> {
  const value = {
    id, accountId: 'acc_1', sourceId: 'src_1', type: 'purchase', occurredAt: '2026-12-04T10:00:00.000Z', receivedAt: '2026-12-04T10:00:00.100Z',
    initiatedFrom: 'api', person: { email: `${id}@example.com`, firstName: 'Ann', lastName: 'Lee', ip: null, nameSource: null },
    location: emptyLocation(), product: null, products: [], amount: null, currency: null, attributes: {}, dialect: 'activly',
  } as unknown as CanonicalEvent;
  return { topic: Topics.eventsValid, partition: 0, offset: '0', key: 'k', value, headers: {}, timestamp: '0' };
}

/** Lets every pending promise callback run. */
const settled = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('EnrichmentService.process', () => {
  function setup(): { service: EnrichmentService; names: GatedNames; producer: GatedProducer } {
    const names = new GatedNames();
    const producer = new GatedProducer();
    return { service: new EnrichmentService(names, producer, config), names, producer };
  }

  it('writes the learned names while the enriched events are being sent, and finishes only when both are done', async () => {
    const { service, names, producer } = setup();
    let done = false;
    const run = service.process([message('evt_1'), message('evt_2')]).then((n) => {
      done = true;
      return n;
    });
    await settled();
    expect([producer.gate.started, names.gate.started]).toEqual([true, true]);
    producer.gate.pass();
    await settled();
    expect(done).toBe(false);
    names.gate.pass();
    expect(await run).toBe(2);
    expect(producer.sent[0].topic).toBe(Topics.eventsEnriched);
    expect(names.saved).toHaveLength(2);
  });

  it('fails the batch (no commit) when the send fails, after the names write has settled', async () => {
    const { service, names, producer } = setup();
    let failed: unknown;
    const run = service.process([message('evt_1')]).catch((e: unknown) => (failed = e));
    await settled();
    producer.gate.fail(new Error('Kafka did not acknowledge'));
    await settled();
    expect(failed).toBeUndefined();
    names.gate.pass();
    await run;
    expect((failed as Error).message).toBe('Kafka did not acknowledge');
  });

  it('fails the batch when the names write fails, even though the send was acknowledged', async () => {
    const { service, names, producer } = setup();
    const run = service.process([message('evt_1')]);
    await settled();
    producer.gate.pass();
    names.gate.fail(new Error('connection terminated'));
    await expect(run).rejects.toThrow('connection terminated');
    expect(producer.sent).toHaveLength(1);
  });
});
