import { Topics, type CanonicalEvent, type DuplicateEvent, type RawEventDto, type RejectedEvent } from '@hookstream/contracts';
import type { EventProducer, InboundMessage, OutboundMessage } from '@hookstream/kafka';
import type { ValidatorConfig } from '../validator.config';
import type { DedupeClaim, DedupeRepository } from './dedupe.repository';
import { ValidationService } from './validation.service';

const ACTIVLY = { event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: '2026-02-28T14:30:00Z' };

/** The claim semantics of dedupe_keys, in memory: first owner wins; other events count as duplicates. */
class FakeDedupeRepository {
  readonly rows = new Map<string, { eventId: string; duplicateCount: number }>();
  readonly calls: DedupeClaim[][] = [];

  async claim(claims: DedupeClaim[]): Promise<{ owners: Map<string, string>; claimed: Set<string> }> {
    this.calls.push(claims.map((c) => ({ ...c })));
    const keys = claims.map((c) => `${c.sourceId}\u0000${c.key}`);
    if (new Set(keys).size !== keys.length) throw new Error('ON CONFLICT DO UPDATE command cannot affect row a second time');
    const owners = new Map<string, string>();
    const claimed = new Set<string>();
    claims.forEach((c, i) => {
      const row = this.rows.get(keys[i]);
      if (!row) {
        this.rows.set(keys[i], { eventId: c.eventId, duplicateCount: c.repeats ?? 0 });
        claimed.add(keys[i]);
      } else row.duplicateCount += (c.repeats ?? 0) + (row.eventId !== c.eventId ? 1 : 0);
      owners.set(keys[i], this.rows.get(keys[i])!.eventId);
    });
    return { owners, claimed };
  }

  async release(claims: { sourceId: string; key: string; eventId: string }[]): Promise<number> {
    let n = 0;
    for (const c of claims) {
      const k = `${c.sourceId}\u0000${c.key}`;
      if (this.rows.get(k)?.eventId === c.eventId && this.rows.delete(k)) n++;
    }
    return n;
  }

  count(sourceId: string, key: string): number | undefined {
    return this.rows.get(`${sourceId}\u0000${key}`)?.duplicateCount;
  }
}

class FakeProducer implements EventProducer {
  readonly sent: { topic: string; message: OutboundMessage }[] = [];
  /** Topics whose sends fail (the broker refused them). */
  readonly failing = new Set<string>();
  async send(topic: string, messages: OutboundMessage[]): Promise<void> {
    if (this.failing.has(topic) && messages.length > 0) throw new Error(`broker refused ${topic}`);
    for (const message of messages) this.sent.push({ topic, message });
  }
  on(topic: string): OutboundMessage[] {
    return this.sent.filter((s) => s.topic === topic).map((s) => s.message);
  }
}

let seq = 0;
function inbound(body: unknown, over: Partial<RawEventDto> = {}): InboundMessage<RawEventDto> {
  seq++;
  const value: RawEventDto = {
    id: `evt_unit${seq.toString().padStart(4, '0')}`, accountId: 'acc_unit', sourceId: 'src_unit', receivedAt: '2026-03-01T10:00:00.000Z',
    contentType: 'application/json', headers: {}, body, clientIp: null, idempotencyKey: null, dialect: 'auto', initiatedFrom: 'api',
    ...over,
  };
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  return {
    topic: Topics.eventsRaw, partition: 0, offset: String(seq), key: value.sourceId, value, headers: { traceparent },
    envelope: { id: value.id, type: 'hookstream.event.received', source: `/sources/${value.sourceId}`, time: value.receivedAt, traceparent },
    timestamp: value.receivedAt,
  };
}

describe('ValidationService', () => {
  let repo: FakeDedupeRepository;
  let producer: FakeProducer;
  let service: ValidationService;

  beforeEach(() => {
    repo = new FakeDedupeRepository();
    producer = new FakeProducer();
    service = new ValidationService(repo as unknown as DedupeRepository, producer, { DEDUPE_RETENTION_DAYS: 4 } as ValidatorConfig);
  });

  it('publishes a valid event keyed by account and person, with its envelope on the same trace', async () => {
    const m = inbound({ ...ACTIVLY, email: 'sarah@example.com' });
    const r = await service.process([m]);
    expect(r).toEqual({ valid: 1, rejected: 0, duplicates: 0 });
    const [out] = producer.on(Topics.eventsValid);
    const event = out.value as CanonicalEvent;
    expect(out.key).toBe('acc_unit:sarah@example.com');
    expect(event).toMatchObject({ id: m.value.id, type: 'purchase', dialect: 'activly', occurredAt: '2026-02-28T14:30:00.000Z' });
    expect(event.dedupeKey).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(out.envelope).toMatchObject({ id: m.value.id, type: 'hookstream.event.purchase', source: '/sources/src_unit', subject: 'acc_unit' });
    expect(out.envelope?.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(out.envelope?.traceparent).not.toBe(m.envelope?.traceparent);
  });

  it('two events with the same idempotency key in ONE batch: one valid, one duplicate of the first, counted once', async () => {
    const a = inbound(ACTIVLY, { idempotencyKey: 'order-1' });
    const b = inbound(ACTIVLY, { idempotencyKey: 'order-1' });
    const r = await service.process([a, b]);
    expect(r).toEqual({ valid: 1, rejected: 0, duplicates: 1 });
    expect(producer.on(Topics.eventsValid).map((o) => (o.value as CanonicalEvent).id)).toEqual([a.value.id]);
    const [dup] = producer.on(Topics.eventsDuplicate);
    expect(dup.value as DuplicateEvent).toMatchObject({ raw: { id: b.value.id }, dedupeKey: 'idem:order-1', originalEventId: a.value.id });
    expect(dup.key).toBe('src_unit');
    expect(dup.envelope).toMatchObject({ id: b.value.id, type: 'hookstream.event.duplicate' });
    // One claim per key per batch (a second would make the INSERT … ON CONFLICT fail), with the repeat counted.
    expect(repo.calls[0].filter((c) => c.key === 'idem:order-1')).toEqual([{ sourceId: 'src_unit', key: 'idem:order-1', eventId: a.value.id, repeats: 1 }]);
    expect(repo.count('src_unit', 'idem:order-1')).toBe(1);
  });

  it('three users of one key in a batch after an earlier owner: all three are duplicates of that owner', async () => {
    const first = inbound(ACTIVLY, { idempotencyKey: 'order-2' });
    await service.process([first]);
    const later = [inbound(ACTIVLY, { idempotencyKey: 'order-2' }), inbound(ACTIVLY, { idempotencyKey: 'order-2' }), inbound(ACTIVLY, { idempotencyKey: 'order-2' })];
    const r = await service.process(later);
    expect(r).toEqual({ valid: 0, rejected: 0, duplicates: 3 });
    expect(producer.on(Topics.eventsDuplicate).map((o) => (o.value as DuplicateEvent).originalEventId)).toEqual([first.value.id, first.value.id, first.value.id]);
    expect(repo.count('src_unit', 'idem:order-2')).toBe(3);
  });

  it('the same message twice in one batch (redelivery) is not a duplicate and counts nothing', async () => {
    const a = inbound(ACTIVLY, { idempotencyKey: 'order-3' });
    const r = await service.process([a, { ...a, offset: '999' }]);
    expect(r.duplicates).toBe(0);
    expect(producer.on(Topics.eventsDuplicate)).toHaveLength(0);
    expect(producer.on(Topics.eventsValid).every((o) => (o.value as CanonicalEvent).id === a.value.id)).toBe(true);
    expect(repo.count('src_unit', 'idem:order-3')).toBe(0);
  });

  it('a redelivered batch changes nothing: still valid, no duplicate, no count', async () => {
    const a = inbound(ACTIVLY, { idempotencyKey: 'order-4' });
    await service.process([a]);
    const r = await service.process([a]);
    expect(r).toEqual({ valid: 1, rejected: 0, duplicates: 0 });
    expect(repo.count('src_unit', 'idem:order-4')).toBe(0);
  });

  it('window dedupe within one batch: same email and type, different content → the second is a duplicate', async () => {
    const dedupe = { fields: ['person.email', 'type'], windowSeconds: 3600 };
    const body = { email: 'ann@example.com', firstName: 'Ann', timestamp: 1772272800000, productName: 'Hat', productLink: 'https://shop.test/hat' };
    const a = inbound(body, { dialect: 'provesource', dedupe });
    const b = inbound({ ...body, productName: 'Scarf', timestamp: 1772272800000 + 60_000 }, { dialect: 'provesource', dedupe });
    const r = await service.process([a, b]);
    expect(r).toEqual({ valid: 1, rejected: 0, duplicates: 1 });
    const dup = producer.on(Topics.eventsDuplicate)[0].value as DuplicateEvent;
    expect(dup.originalEventId).toBe(a.value.id);
    expect(dup.dedupeKey).toMatch(/^win:[0-9a-f]{64}$/);
  });

  it('rejects with reasons and the detected dialect, keyed by source, and claims no key for it', async () => {
    const m = inbound({ event: 'refund', first_name: 'Sarah', timestamp: 'yesterday' }, { dialect: 'activly' });
    const r = await service.process([m]);
    expect(r).toEqual({ valid: 0, rejected: 1, duplicates: 0 });
    const [out] = producer.on(Topics.eventsRejected);
    const rej = out.value as RejectedEvent;
    expect(out.key).toBe('src_unit');
    expect(rej.dialect).toBe('activly');
    expect(rej.raw.id).toBe(m.value.id);
    expect(rej.reasons.map((x) => `${x.path}:${x.rule}`).sort()).toEqual(['city:required', 'country:required', 'event:isIn', 'product:required', 'timestamp:isUtcIso8601']);
    expect(out.envelope).toMatchObject({ id: m.value.id, type: 'hookstream.event.rejected' });
    expect(repo.calls.flat()).toHaveLength(0);
  });

  it('a failing producer fails the batch (so the transport retries it)', async () => {
    producer.send = () => Promise.reject(new Error('broker down'));
    await expect(service.process([inbound(ACTIVLY)])).rejects.toThrow('broker down');
  });

  describe('claim and publish stay consistent', () => {
    const idem = { dialect: 'activly' as const, idempotencyKey: 'order-77', headers: { 'idempotency-key': 'order-77' } };

    it('gives the keys back when events.valid cannot be published, so the retry (new id) is not a duplicate', async () => {
      producer.failing.add(Topics.eventsValid);
      const first = inbound(ACTIVLY, idem);
      await expect(service.process([first])).rejects.toThrow(/broker refused/);
      expect(repo.rows.size).toBe(0);

      producer.failing.clear();
      const retry = inbound(ACTIVLY, idem);
      expect(await service.process([retry])).toEqual({ valid: 1, rejected: 0, duplicates: 0 });
      expect((producer.on(Topics.eventsValid)[0].value as CanonicalEvent).id).toBe(retry.value.id);
      // Exactly once from here on: a third copy is a duplicate of the one that went out.
      const third = inbound(ACTIVLY, idem);
      expect(await service.process([third])).toEqual({ valid: 0, rejected: 0, duplicates: 1 });
      expect((producer.on(Topics.eventsDuplicate)[0].value as DuplicateEvent).originalEventId).toBe(retry.value.id);
    });

    it('keeps keys it did not take in this batch, and keys of events that did go out', async () => {
      const first = inbound(ACTIVLY, idem);
      await service.process([first]);
      // A redelivery of the published event whose publish now fails: its key was not taken now.
      producer.failing.add(Topics.eventsValid);
      await expect(service.process([first])).rejects.toThrow(/broker refused/);
      expect(repo.rows.get(`src_unit\u0000idem:order-77`)?.eventId).toBe(first.value.id);

      // events.valid went out, only events.rejected failed: the valid event keeps its key.
      producer.failing.clear();
      producer.failing.add(Topics.eventsRejected);
      const other = inbound({ ...ACTIVLY, first_name: 'Ann' }, { dialect: 'activly', idempotencyKey: 'order-78' });
      const bad = inbound({ event: 'purchase' }, { dialect: 'activly' });
      await expect(service.process([other, bad])).rejects.toThrow(/broker refused/);
      expect(repo.rows.get(`src_unit\u0000idem:order-78`)?.eventId).toBe(other.value.id);
    });
  });
});
