import { Logger } from '@nestjs/common';
import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { KafkaJSConnectionError } from 'kafkajs';
import { DeferredCommit } from './deferred-commits';
import { DLQ_HEADERS, KafkaBatchTransport, type KafkaBatchTransportOptions } from './kafka-batch.transport';
import type { KafkaBatchContext } from './kafka-context';
import type { InboundMessage, OutboundMessage } from './messages';
import type { EventProducer } from './event-producer';
import { PermanentMessageError, ProducerUnavailableError } from './errors';

/** The error node-postgres gives when nothing listens on the server's port. */
function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 5432 });
}

class FakeProducer implements EventProducer {
  readonly sent: { topic: string; messages: OutboundMessage[] }[] = [];
  failNext = 0;
  async send(topic: string, messages: OutboundMessage[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new ProducerUnavailableError('Kafka did not acknowledge within 5000 ms');
    }
    this.sent.push({ topic, messages });
  }
}

function message(offset: number, value: unknown = { n: offset }): KafkaMessage {
  return { key: Buffer.from('k'), value: Buffer.from(JSON.stringify(value)), headers: {}, offset: String(offset), timestamp: String(Date.now()), attributes: 0 };
}

/** Drives the transport's batch path exactly as kafkajs' runner calls `eachBatch`. */
function payload(topic: string, messages: KafkaMessage[], opts: { running?: () => boolean; heartbeat?: () => Promise<void> } = {}) {
  const resolved: string[] = [];
  const commits: string[] = [];
  const p = {
    batch: { topic, partition: 0, highWatermark: '100', messages, isEmpty: () => messages.length === 0, firstOffset: () => messages[0]?.offset ?? null, lastOffset: () => messages[messages.length - 1]?.offset ?? '0', offsetLag: () => '0', offsetLagLow: () => '0' },
    resolveOffset: (o: string) => resolved.push(o),
    heartbeat: opts.heartbeat ?? (async () => undefined),
    commitOffsetsIfNecessary: async (o?: { topics: { partitions: { offset: string }[] }[] }) => {
      commits.push(o?.topics[0].partitions[0].offset ?? '?');
    },
    uncommittedOffsets: () => ({ topics: [] }),
    isRunning: opts.running ?? (() => true),
    isStale: () => false,
    pause: () => () => undefined,
  } as unknown as EachBatchPayload;
  return { p, resolved, commits };
}

type Internals = { onBatch(p: EachBatchPayload, consumer: object): Promise<void> };

function transport(producer: FakeProducer, handler: (data: unknown) => Promise<void>, extra: Partial<KafkaBatchTransportOptions> = {}, batch = false): KafkaBatchTransport {
  const t = new KafkaBatchTransport({
    kafka: {} as Kafka, producer, groupId: 'hookstream-test-group', maxAttempts: 3, retryBaseMs: 1, retryMaxMs: 2,
    transientRetryBaseMs: 1, transientRetryMaxMs: 5, heartbeatIntervalMs: 1000, ...extra,
  });
  t.addHandler('topic.a', handler, true, { batch });
  return t;
}

/** The consumer these batches came from (commits are grouped per consumer). */
const CONSUMER = {};
const run = (t: KafkaBatchTransport, p: EachBatchPayload) => (t as unknown as Internals).onBatch(p, CONSUMER);

describe('KafkaBatchTransport: transient errors hold the partition, poison goes to the DLQ', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  it('a dependency outage (ECONNREFUSED) is retried past maxAttempts, without a dead letter, committed only after success', async () => {
    const producer = new FakeProducer();
    let calls = 0;
    const seen: { ok: boolean; detail: string }[] = [];
    const t = transport(producer, async () => {
      calls++;
      if (calls === 8) seen.push(await t.health());
      if (calls <= 10) throw refused();
    });
    const { p, resolved, commits } = payload('topic.a', [message(7)]);
    await run(t, p);
    expect(calls).toBe(11);
    expect(producer.sent).toHaveLength(0);
    expect(resolved).toEqual(['7']);
    expect(commits).toEqual(['8']);
    // while held: not ready, and why
    expect(seen[0].ok).toBe(false);
    expect(seen[0].detail).toMatch(/blocked on network: 1 partition\(s\) held .*ECONNREFUSED 127\.0\.0\.1:5432/);
    expect(t.blockedPartitions()).toEqual([]);
  });

  it('while held, readiness names the dependency whose own check fails', async () => {
    const producer = new FakeProducer();
    let calls = 0;
    let detail = '';
    const t = transport(producer, async () => {
      calls++;
      if (calls === 3) detail = (await t.health()).detail;
      if (calls <= 3) throw refused();
    }, { dependenciesHealthy: async () => ({ ok: calls > 3, detail: 'postgres: connect ECONNREFUSED 127.0.0.1:5432' }) });
    await run(t, payload('topic.a', [message(0)]).p);
    expect(detail).toMatch(/^blocked on postgres: connect ECONNREFUSED/);
  });

  it('a Kafka outage inside the handler (produce not acknowledged, broker refused) is held too', async () => {
    const producer = new FakeProducer();
    const errors = [new ProducerUnavailableError('Kafka did not acknowledge within 5000 ms'), new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), refused(), refused()];
    const t = transport(producer, async () => {
      const e = errors.shift();
      if (e) throw e;
    });
    const { p, resolved } = payload('topic.a', [message(0)]);
    await run(t, p);
    expect(errors).toHaveLength(0);
    expect(producer.sent).toHaveLength(0);
    expect(resolved).toEqual(['0']);
  });

  it('a message that fails on its own with healthy dependencies is dead-lettered after maxAttempts, naming the consumer group', async () => {
    const producer = new FakeProducer();
    let calls = 0;
    const t = transport(producer, async () => {
      calls++;
      throw new TypeError("Cannot read properties of undefined (reading 'email')");
    }, { dependenciesHealthy: async () => ({ ok: true, detail: 'ok' }) });
    const { p, resolved } = payload('topic.a', [message(3)]);
    await run(t, p);
    expect(calls).toBe(3);
    expect(producer.sent).toHaveLength(1);
    expect(producer.sent[0].topic).toBe('topic.a.dlq');
    const h = producer.sent[0].messages[0].headers!;
    expect(h[DLQ_HEADERS.group]).toBe('hookstream-test-group');
    expect(h[DLQ_HEADERS.attempts]).toBe('3');
    expect(h[DLQ_HEADERS.offset]).toBe('3');
    expect(resolved).toEqual(['3']);
  });

  it('an unrecognised error while a dependency is unhealthy is held, and dead-lettered only once it fails with the dependency healthy', async () => {
    const producer = new FakeProducer();
    let healthy = false;
    let calls = 0;
    const t = transport(producer, async () => {
      calls++;
      if (calls === 7) healthy = true;
      throw new Error('could not save the contact'); // a wrapper that hid its cause
    }, { dependenciesHealthy: async () => ({ ok: healthy, detail: healthy ? 'ok' : 'postgres: no answer within 2000 ms' }) });
    await run(t, payload('topic.a', [message(0)]).p);
    // 3 calls, deps down → held; 3 more, still down → held; then healthy from call 7: 3 more → DLQ
    expect(calls).toBe(9);
    expect(producer.sent).toHaveLength(1);
    expect(producer.sent[0].messages[0].headers![DLQ_HEADERS.attempts]).toBe('3');
  });

  it('PermanentMessageError skips the retries and the health check', async () => {
    const producer = new FakeProducer();
    let probed = 0;
    const t = transport(producer, async () => {
      throw new PermanentMessageError('invalid contract');
    }, { dependenciesHealthy: async () => ({ ok: ++probed > 0 && false, detail: 'down' }) });
    await run(t, payload('topic.a', [message(0)]).p);
    expect(producer.sent).toHaveLength(1);
    expect(probed).toBe(0);
  });

  it('a held batch given up on shutdown commits nothing and dead-letters nothing', async () => {
    const producer = new FakeProducer();
    let running = true;
    let calls = 0;
    const t = transport(producer, async () => {
      calls++;
      if (calls === 4) running = false;
      throw refused();
    });
    const { p, resolved, commits } = payload('topic.a', [message(0), message(1)], { running: () => running });
    await run(t, p);
    expect(calls).toBe(4);
    expect(resolved).toEqual([]);
    expect(commits).toEqual([]);
    expect(producer.sent).toHaveLength(0);
    expect(t.blockedPartitions()).toEqual([]);
  });

  it('a held batch is given up when the group rebalances (heartbeat says so), so kafkajs can rejoin', async () => {
    const producer = new FakeProducer();
    let calls = 0;
    const t = transport(producer, async () => {
      calls++;
      throw refused();
    });
    const heartbeat = async () => {
      if (calls >= 2) throw Object.assign(new Error('The group is rebalancing, so a rejoin is needed'), { type: 'REBALANCE_IN_PROGRESS' });
    };
    const { p, resolved } = payload('topic.a', [message(0)], { heartbeat });
    await run(t, p);
    expect(calls).toBe(2);
    expect(resolved).toEqual([]);
  });

  it('a DLQ write that Kafka does not acknowledge is retried, and the offset committed only after it', async () => {
    const producer = new FakeProducer();
    producer.failNext = 3;
    const t = transport(producer, async () => {
      throw new PermanentMessageError('bad');
    });
    const { p, commits } = payload('topic.a', [message(5)]);
    await run(t, p);
    expect(producer.sent).toHaveLength(1);
    expect(commits).toEqual(['6']);
  });

  it('batch handlers: a transient error holds the whole chunk; poison is still isolated to one message', async () => {
    const producer = new FakeProducer();
    let calls = 0;
    const handled: number[] = [];
    const t = transport(producer, async (data) => {
      calls++;
      const msgs = data as { value: { n: number } }[];
      if (calls <= 4) throw refused();
      if (msgs.some((m) => m.value.n === 2)) throw new Error('poison 2');
      handled.push(...msgs.map((m) => m.value.n));
    }, { dependenciesHealthy: async () => ({ ok: true, detail: 'ok' }) }, true);
    const { p, resolved } = payload('topic.a', [message(1), message(2), message(3)]);
    await run(t, p);
    expect(handled).toEqual([1, 3]);
    expect(producer.sent).toHaveLength(1);
    expect(producer.sent[0].messages[0].headers![DLQ_HEADERS.offset]).toBe('2');
    expect(resolved).toEqual(['3']);
  });
});

/** A kafkajs consumer stand-in: joins at once, and emits what the test tells it to. */
class FakeConsumer {
  readonly events = { FETCH: 'fetch', REBALANCING: 'rebalancing', GROUP_JOIN: 'join', CRASH: 'crash' } as const;
  private readonly listeners = new Map<string, ((e: { payload: Record<string, unknown> }) => void)[]>();
  disconnected = false;
  on(event: string, fn: (e: { payload: Record<string, unknown> }) => void): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
  }
  emit(event: string, payload: Record<string, unknown> = {}): void {
    for (const fn of this.listeners.get(event) ?? []) fn({ payload });
  }
  async connect(): Promise<void> {
    return undefined;
  }
  async subscribe(): Promise<void> {
    return undefined;
  }
  async run(): Promise<void> {
    this.emit('join', { memberAssignment: {} });
  }
  async stop(): Promise<void> {
    return undefined;
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
}

describe('KafkaBatchTransport: a consumer that stops is noticed and replaced', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  function setup(stallTimeoutMs = 60_000) {
    const consumers: FakeConsumer[] = [];
    const kafka = { consumer: () => { const c = new FakeConsumer(); consumers.push(c); return c; } } as unknown as Kafka;
    const t = new KafkaBatchTransport({ kafka, producer: new FakeProducer(), groupId: 'g', stallTimeoutMs });
    t.addHandler('topic.a', async () => undefined, true, {});
    return { t, consumers };
  }
  const listen = (t: KafkaBatchTransport) => new Promise<void>((resolve, reject) => void t.listen((err) => (err ? reject(err) : resolve())));

  it('not ready before it has joined its group, ready once it has', async () => {
    const { t } = setup();
    expect(await t.health()).toEqual({ ok: false, detail: 'joining group g' });
    await listen(t);
    expect(await t.health()).toEqual({ ok: true, detail: 'group g consuming' });
    await t.close();
  });

  it('a crash kafkajs does not restart from (restart: false) is restarted with a new consumer', async () => {
    const { t, consumers } = setup();
    await listen(t);
    consumers[0].emit('crash', { error: new Error('The coordinator is loading and hence can\'t process requests'), groupId: 'g', restart: false });
    await new Promise((r) => setTimeout(r, 20));
    expect(consumers).toHaveLength(2);
    expect(consumers[0].disconnected).toBe(true);
    expect(t.restarts).toBe(1);
    expect((await t.health()).ok).toBe(true);
    await t.close();
  });

  it('a crash kafkajs restarts from itself is left to kafkajs', async () => {
    const { t, consumers } = setup();
    await listen(t);
    consumers[0].emit('crash', { error: new Error('Connection error'), groupId: 'g', restart: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(consumers).toHaveLength(1);
    await t.close();
  });

  it('no fetch for stallTimeoutMs: not ready, naming it, and the consumer is replaced', async () => {
    const { t, consumers } = setup(200);
    await listen(t);
    consumers[0].emit('fetch');
    expect((await t.health()).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 450));
    expect(consumers.length).toBeGreaterThanOrEqual(2);
    expect(consumers[0].disconnected).toBe(true);
    expect(t.restarts).toBeGreaterThanOrEqual(1);
    await t.close();
  });

  it('while the replacement cannot join, readiness says why it is restarting', async () => {
    const { t, consumers } = setup(200);
    await listen(t);
    consumers[0].emit('fetch');
    // the replacement's connect never completes (the coordinator keeps loading)
    FakeConsumer.prototype.connect = () => new Promise<void>(() => undefined);
    try {
      await new Promise((r) => setTimeout(r, 450));
      expect(await t.health()).toEqual({ ok: false, detail: expect.stringMatching(/^restarting the consumer of group g: made no progress \(no fetch\) for 0 s$/) });
    } finally {
      FakeConsumer.prototype.connect = async () => undefined;
    }
  });
});

describe('KafkaBatchTransport: offset commits', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  it('partitions finishing together commit in one request, each only after its own handler succeeded', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = transport(new FakeProducer(), () => gate, {}, true);
    const requests: { topic: string; partitions: { partition: number; offset: string }[] }[][] = [];
    const batches = [0, 1, 2].map((partition) => {
      const { p } = payload('topic.a', [message(10 * partition), message(10 * partition + 1)]);
      const pp = p as unknown as { batch: { partition: number }; commitOffsetsIfNecessary: (o: { topics: (typeof requests)[number] }) => Promise<void> };
      pp.batch.partition = partition;
      pp.commitOffsetsIfNecessary = async (o) => {
        requests.push(o.topics);
      };
      return p;
    });
    const running = batches.map((p) => run(t, p));
    await new Promise((r) => setImmediate(r));
    expect(requests).toEqual([]);
    release();
    await Promise.all(running);
    expect(requests).toEqual([[{ topic: 'topic.a', partitions: [{ partition: 0, offset: '2' }, { partition: 1, offset: '12' }, { partition: 2, offset: '22' }] }]]);
  });

  it('a commit that fails with a rebalance gives the batch up before the next message is handled', async () => {
    const handled: number[] = [];
    const t = transport(new FakeProducer(), async (data) => {
      handled.push((data as { value: { n: number } }).value.n);
      // Let the failed commit of the previous message be noticed before the loop goes on.
      await new Promise((r) => setImmediate(r));
    });
    const { p } = payload('topic.a', [message(1), message(2), message(3), message(4)]);
    (p as unknown as { commitOffsetsIfNecessary: () => Promise<void> }).commitOffsetsIfNecessary = async () => {
      throw Object.assign(new Error('The group is rebalancing'), { type: 'REBALANCE_IN_PROGRESS' });
    };
    await run(t, p);
    expect(handled.length).toBeLessThan(4);
  });
});

describe('KafkaBatchTransport: skipHeader and fetch linger', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  function marked(offset: number, header: string, value: Buffer): KafkaMessage {
    return { key: Buffer.from('k'), value, headers: { hookstream_planned: Buffer.from(header) }, offset: String(offset), timestamp: String(Date.now()), attributes: 0 };
  }

  it('commits past records whose header matches without decoding them, and counts them', async () => {
    const producer = new FakeProducer();
    const seen: unknown[] = [];
    const counted: number[] = [];
    const t = new KafkaBatchTransport({ kafka: {} as Kafka, producer, groupId: 'g', retryBaseMs: 1, retryMaxMs: 2 });
    t.addHandler('topic.a', async (data: unknown) => {
      seen.push(...(data as { offset: string }[]).map((m) => m.offset));
    }, true, { batch: true, skipHeader: { name: 'hookstream_planned', value: 'automation', counted: (n: number) => counted.push(n) } });
    // Offset 1 is not JSON: were it decoded, it would be dead-lettered. Offset 2 has another value: handled.
    const msgs = [message(0), marked(1, 'automation', Buffer.from('{not json')), marked(2, 'someone-else', Buffer.from('{"n":2}')), marked(3, 'automation', Buffer.from('{"n":3}'))];
    const { p, commits } = payload('topic.a', msgs);
    await run(t, p);
    expect(seen).toEqual(['0', '2']);
    expect(producer.sent).toHaveLength(0);
    expect(counted).toEqual([2]);
    expect(t.skipped).toBe(2);
    expect(commits[commits.length - 1]).toBe('4');
  });

  it('a chunk made only of skipped records is committed past, the handler not called', async () => {
    const producer = new FakeProducer();
    let calls = 0;
    const t = new KafkaBatchTransport({ kafka: {} as Kafka, producer, groupId: 'g' });
    t.addHandler('topic.a', async () => {
      calls++;
    }, true, { skipHeader: { name: 'hookstream_planned', value: 'automation' } });
    const { p, commits } = payload('topic.a', [marked(5, 'automation', Buffer.from('{}'))]);
    await run(t, p);
    expect(calls).toBe(0);
    expect(commits).toEqual(['6']);
  });

  it('after a small batch it lingers before handing back to kafkajs, once the batch is committed', async () => {
    const producer = new FakeProducer();
    const t = transport(producer, async () => undefined, { fetchLingerMs: 80, fetchLingerBelow: 3 });
    const { p, commits } = payload('topic.a', [message(0), message(1)]);
    const t0 = Date.now();
    let committedAt = 0;
    const commit = p.commitOffsetsIfNecessary;
    (p as { commitOffsetsIfNecessary: typeof commit }).commitOffsetsIfNecessary = async (o) => {
      committedAt = Date.now();
      return commit(o);
    };
    await run(t, p);
    expect(commits[commits.length - 1]).toBe('2');
    expect(t.lingers).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(75);
    expect(committedAt - t0).toBeLessThan(75);
  });

  it('does not linger after a batch of fetchLingerBelow records or more, nor when linger is 0', async () => {
    const producer = new FakeProducer();
    const big = transport(producer, async () => undefined, { fetchLingerMs: 1000, fetchLingerBelow: 3 });
    await run(big, payload('topic.a', [message(0), message(1), message(2)]).p);
    expect(big.lingers).toBe(0);
    const off = transport(producer, async () => undefined, { fetchLingerMs: 0 });
    await run(off, payload('topic.a', [message(0)]).p);
    expect(off.lingers).toBe(0);
  });

  it('a small batch that already took the linger time does not wait more; a quicker one waits only the rest of it', async () => {
    const producer = new FakeProducer();
    const slow = transport(producer, () => new Promise((r) => setTimeout(r, 60)), { fetchLingerMs: 50 });
    const t0 = Date.now();
    await run(slow, payload('topic.a', [message(0)]).p);
    expect(slow.lingers).toBe(0);
    expect(Date.now() - t0).toBeLessThan(100);
    const quick = transport(producer, () => new Promise((r) => setTimeout(r, 120)), { fetchLingerMs: 150 });
    const t1 = Date.now();
    await run(quick, payload('topic.a', [message(0)]).p);
    expect(quick.lingers).toBe(1);
    // started + 150 ms, not handler time + 150 ms (270)
    expect(Date.now() - t1).toBeGreaterThanOrEqual(145);
    expect(Date.now() - t1).toBeLessThan(240);
  });

  it('a linger is cut short when the consumer stops', async () => {
    const producer = new FakeProducer();
    let running = true;
    const t = transport(producer, async () => undefined, { fetchLingerMs: 5000 });
    const { p } = payload('topic.a', [message(0)], { running: () => running });
    const done = run(t, p);
    setTimeout(() => (running = false), 20);
    const t0 = Date.now();
    await done;
    expect(t.lingers).toBe(1);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe('KafkaBatchTransport: one handler call for the partitions of a fetch', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  type Call = { offsets: string[]; partitions: readonly number[]; attempt: number };

  /** A batch of `partition` with these offsets; commits of all batches land in `requests` (one entry per OffsetCommit). */
  function partitionBatch(partition: number, offsets: number[], requests: { partition: number; offset: string }[][], opts: { stale?: () => boolean; heartbeat?: () => Promise<void> } = {}) {
    const { p, resolved } = payload('topic.a', offsets.map((o) => message(o, { n: o, p: partition })), { heartbeat: opts.heartbeat });
    const pp = p as unknown as { batch: { partition: number }; isStale: () => boolean; commitOffsetsIfNecessary: (o: { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }) => Promise<void> };
    pp.batch.partition = partition;
    if (opts.stale) pp.isStale = opts.stale;
    pp.commitOffsetsIfNecessary = async (o) => {
      requests.push(o.topics.flatMap((x) => x.partitions));
    };
    return { p, resolved };
  }

  /** The transport with a batch handler recording each call; `fail` decides per call. */
  function merging(fail: (msgs: InboundMessage[], attempt: number) => Error | undefined, extra: Partial<KafkaBatchTransportOptions> = {}, extras: Record<string, unknown> = { batch: true }) {
    const calls: Call[] = [];
    const succeeded: string[] = [];
    const producer = new FakeProducer();
    const t = new KafkaBatchTransport({
      kafka: {} as Kafka, producer, groupId: 'g', maxAttempts: 3, retryBaseMs: 1, retryMaxMs: 2, transientRetryBaseMs: 1, transientRetryMaxMs: 5,
      heartbeatIntervalMs: 1000, fetchLingerMs: 0, dependenciesHealthy: async () => ({ ok: true, detail: 'ok' }), ...extra,
    });
    t.addHandler('topic.a', async (data: unknown, ctx: KafkaBatchContext) => {
      const msgs = data as InboundMessage[];
      calls.push({ offsets: msgs.map((m) => `${m.partition}@${m.offset}`), partitions: ctx.getPartitions(), attempt: ctx.getAttempt() });
      const err = fail(msgs, ctx.getAttempt());
      if (err) throw err;
      succeeded.push(...msgs.map((m) => `${m.partition}@${m.offset}`));
    }, true, extras);
    return { t, calls, succeeded, producer };
  }

  it('the batches of three partitions started together are one call, each partition in offset order, each committed after it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let partitionAsked: unknown;
    const { t, calls } = merging(() => undefined);
    t.addHandler('topic.b', async (_d: unknown, ctx: KafkaBatchContext) => {
      try {
        ctx.getPartition();
      } catch (err) {
        partitionAsked = err;
      }
      await gate;
    }, true, { batch: true });
    const requests: { partition: number; offset: string }[][] = [];
    const batches = [[0, [3, 4]], [1, [7]], [2, [1, 2, 3]]] as const;
    const runs = batches.map(([part, offs]) => partitionBatch(part, [...offs], requests));
    await Promise.all(runs.map(({ p }) => run(t, p)));
    expect(calls).toEqual([{ offsets: ['0@3', '0@4', '1@7', '2@1', '2@2', '2@3'], partitions: [0, 1, 2], attempt: 1 }]);
    expect(requests).toEqual([[{ partition: 0, offset: '5' }, { partition: 1, offset: '8' }, { partition: 2, offset: '4' }]]);
    expect(runs.map((r) => r.resolved)).toEqual([['4'], ['7'], ['3']]);
    expect(t.merges).toEqual({ calls: 1, partitions: 3, failed: 0 });

    // Nothing is committed while the merged call runs; a merged call has no single partition to name.
    const held: { partition: number; offset: string }[][] = [];
    const pending = [0, 1].map((part) => {
      const { p } = partitionBatch(part, [10], held);
      (p as unknown as { batch: { topic: string } }).batch.topic = 'topic.b';
      return run(t, p);
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(held).toEqual([]);
    release();
    await Promise.all(pending);
    expect((partitionAsked as Error).message).toMatch(/holds the messages of partitions 0, 1: read each message's partition \(InboundMessage\.partition\), or declare the handler with \{ mergePartitions: false \}/);
    expect(held.flat()).toEqual([{ partition: 0, offset: '11' }, { partition: 1, offset: '11' }]);
  });

  it('a poison message in a merged call: the other partitions are handled again alone (once each), only the poison goes to the DLQ, all commit', async () => {
    const { t, calls, succeeded, producer } = merging((msgs) =>
      msgs.some((m) => (m.value as { n: number; p: number }).p === 1 && (m.value as { n: number }).n === 8) ? new PermanentMessageError('invalid raw event') : undefined,
    );
    const requests: { partition: number; offset: string }[][] = [];
    const runs = [partitionBatch(0, [1, 2], requests), partitionBatch(1, [7, 8, 9], requests), partitionBatch(2, [5], requests)];
    await Promise.all(runs.map(({ p }) => run(t, p)));
    expect(calls[0]).toEqual({ offsets: ['0@1', '0@2', '1@7', '1@8', '1@9', '2@5'], partitions: [0, 1, 2], attempt: 1 });
    expect(succeeded.sort()).toEqual(['0@1', '0@2', '1@7', '1@9', '2@5']);
    // the poison's partition: its chunk alone (permanent: no retries), then one message at a time
    expect(calls.filter((c) => c.partitions.length === 1 && c.partitions[0] === 1).map((c) => c.offsets)).toEqual([['1@7', '1@8', '1@9'], ['1@7'], ['1@8'], ['1@9']]);
    expect(producer.sent.map((s) => [s.topic, s.messages[0].headers?.[DLQ_HEADERS.offset], s.messages[0].headers?.[DLQ_HEADERS.partition]])).toEqual([['topic.a.dlq', '8', '1']]);
    const last = new Map(requests.flat().map((r) => [r.partition, r.offset]));
    expect(Object.fromEntries(last)).toEqual({ 0: '3', 1: '10', 2: '6' });
    expect(t.merges.failed).toBe(1);
  });

  it('a transient failure of the merged call holds each partition on its own until it passes; nothing is dead-lettered', async () => {
    let down = 3;
    const { t, calls, succeeded, producer } = merging(() => (down-- > 0 ? refused() : undefined));
    const requests: { partition: number; offset: string }[][] = [];
    const runs = [partitionBatch(0, [1], requests), partitionBatch(1, [1], requests)];
    await Promise.all(runs.map(({ p }) => run(t, p)));
    expect(calls[0].partitions).toEqual([0, 1]);
    expect(calls.slice(1).every((c) => c.partitions.length === 1)).toBe(true);
    expect(succeeded.sort()).toEqual(['0@1', '1@1']);
    expect(producer.sent).toEqual([]);
    expect(requests.flat().map((r) => `${r.partition}:${r.offset}`).sort()).toEqual(['0:2', '1:2']);
  });

  it('a partition found stale after the merged call commits nothing; the others commit', async () => {
    const { t } = merging(() => undefined);
    const requests: { partition: number; offset: string }[][] = [];
    let stale = false;
    t.addHandler('topic.c', async () => {
      stale = true;
    }, true, { batch: true });
    const runs = [partitionBatch(0, [1], requests), partitionBatch(1, [1], requests, { stale: () => stale })];
    for (const r of runs) (r.p as unknown as { batch: { topic: string } }).batch.topic = 'topic.c';
    await Promise.all(runs.map(({ p }) => run(t, p)));
    expect(requests.flat()).toEqual([{ partition: 0, offset: '2' }]);
    expect(runs[1].resolved).toEqual([]);
  });

  it('a partition no longer in this member\'s assignment commits nothing', async () => {
    const { t } = merging(() => undefined);
    (t as unknown as { assignment: Map<string, number[]> }).assignment = new Map([['topic.a', [0]]]);
    const requests: { partition: number; offset: string }[][] = [];
    const runs = [partitionBatch(0, [1], requests), partitionBatch(3, [1], requests)];
    await Promise.all(runs.map(({ p }) => run(t, p)));
    expect(requests.flat()).toEqual([{ partition: 0, offset: '2' }]);
  });

  it('heartbeats go on while a merged call runs', async () => {
    let beats = 0;
    const heartbeat = async () => {
      beats++;
    };
    const { t } = merging(() => undefined, { heartbeatIntervalMs: 10 });
    t.addHandler('topic.d', () => new Promise((r) => setTimeout(r, 120)), true, { batch: true });
    const requests: { partition: number; offset: string }[][] = [];
    const runs = [partitionBatch(0, [1], requests, { heartbeat }), partitionBatch(1, [1], requests, { heartbeat })];
    for (const r of runs) (r.p as unknown as { batch: { topic: string } }).batch.topic = 'topic.d';
    await Promise.all(runs.map(({ p }) => run(t, p)));
    expect(beats).toBeGreaterThanOrEqual(10);
    expect(t.merges.calls).toBe(1);
  });

  it('bounded by maxBatchSize; not merged for a handler with { mergePartitions: false } or with the option off', async () => {
    const requests: { partition: number; offset: string }[][] = [];
    const bounded = merging(() => undefined, { maxBatchSize: 4 });
    await Promise.all([partitionBatch(0, [1, 2, 3], requests), partitionBatch(1, [1], requests), partitionBatch(2, [1, 2], requests)].map(({ p }) => run(bounded.t, p)));
    expect(bounded.calls.map((c) => c.offsets)).toEqual([['0@1', '0@2', '0@3', '1@1'], ['2@1', '2@2']]);
    expect(bounded.calls.map((c) => c.partitions)).toEqual([[0, 1], [2]]);

    for (const m of [merging(() => undefined, {}, { batch: true, mergePartitions: false }), merging(() => undefined, { mergePartitions: false })]) {
      await Promise.all([partitionBatch(0, [1], requests), partitionBatch(1, [1], requests)].map(({ p }) => run(m.t, p)));
      expect(m.calls.map((c) => c.partitions)).toEqual([[0], [1]]);
      expect(m.t.merges.calls).toBe(0);
    }
  });
});

describe('KafkaBatchTransport: what a handler receives', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  const envelopeHeaders = { ce_id: Buffer.from('evt-1'), ce_type: Buffer.from('hookstream.event.purchase'), ce_source: Buffer.from('/sources/s1'), ce_time: Buffer.from('2026-12-05T00:00:00.000Z'), traceparent: Buffer.from('00-0123456789abcdef0123456789abcdef-0123456789abcdef-01'), other: [Buffer.from('first'), Buffer.from('second')] };

  it('headers, envelope and timestamp decode on read, the same object each time, and a change to the envelope is kept', async () => {
    const producer = new FakeProducer();
    const got: InboundMessage[] = [];
    const t = transport(producer, async (data) => {
      got.push(...(data as InboundMessage[]));
    }, {}, true);
    const m: KafkaMessage = { key: Buffer.from('acct-1'), value: Buffer.from('{"n":1}'), headers: envelopeHeaders, offset: '7', timestamp: '1764892800000', attributes: 0 };
    await run(t, payload('topic.a', [m]).p);
    const [d] = got;
    expect(d.value).toEqual({ n: 1 });
    expect(d.key).toBe('acct-1');
    expect(d.offset).toBe('7');
    expect(d.timestamp).toBe('2025-12-05T00:00:00.000Z');
    expect(d.headers['other']).toBe('first');
    expect(d.headers).toBe(d.headers);
    expect(d.envelope).toEqual({ id: 'evt-1', type: 'hookstream.event.purchase', source: '/sources/s1', time: '2026-12-05T00:00:00.000Z', subject: undefined, traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01' });
    d.envelope!.traceparent = '00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01';
    expect(d.envelope?.traceparent).toBe('00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01');
    // Loggers and JSON encoders see every field, as with a plain object.
    expect(JSON.parse(JSON.stringify(d))).toMatchObject({ topic: 'topic.a', partition: 0, offset: '7', key: 'acct-1', value: { n: 1 }, headers: { ce_id: 'evt-1', other: 'first' }, envelope: { id: 'evt-1' }, timestamp: '2025-12-05T00:00:00.000Z' });
  });

  it('a record without the CloudEvents attributes has no envelope; one without headers has empty headers', async () => {
    const producer = new FakeProducer();
    const got: InboundMessage[] = [];
    const t = transport(producer, async (data) => {
      got.push(...(data as InboundMessage[]));
    }, {}, true);
    const partial: KafkaMessage = { key: null, value: Buffer.from('{}'), headers: { ce_id: Buffer.from('x') }, offset: '1', timestamp: '0', attributes: 0 };
    const bare = { key: null, value: Buffer.from('{}'), offset: '2', timestamp: '0', attributes: 0 } as unknown as KafkaMessage;
    await run(t, payload('topic.a', [partial, bare]).p);
    expect(got.map((d) => [d.key, d.envelope, d.headers])).toEqual([[null, undefined, { ce_id: 'x' }], [null, undefined, {}]]);
  });
});

describe('KafkaBatchTransport: handlers that defer their commit ({ deferCommit: true })', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  const flush = () => new Promise((r) => setImmediate(r));

  function deferring(handler: (data: unknown) => Promise<unknown>, extra: Partial<KafkaBatchTransportOptions> = {}) {
    const t = new KafkaBatchTransport({ kafka: {} as Kafka, producer: new FakeProducer(), groupId: 'hookstream-test-group', mergePartitions: false, fetchLingerMs: 0, ...extra });
    t.addHandler('topic.a', handler, true, { batch: true, deferCommit: true });
    const consumer = { seek: jest.fn() };
    return { t, consumer, run: (p: EachBatchPayload) => (t as unknown as { onBatch(p: EachBatchPayload, c: object): Promise<void> }).onBatch(p, consumer) };
  }

  it('the batch returns to kafkajs before the work settles; its offset is committed once it has', async () => {
    let finish!: () => void;
    const { t, run } = deferring(async () => new DeferredCommit(new Promise<void>((r) => (finish = r))));
    const { p, resolved, commits } = payload('topic.a', [message(7), message(8)]);
    await run(p);
    // Read on (resolved for the next fetch), not committed.
    expect(resolved).toEqual(['8']);
    expect(commits).toEqual([]);
    expect(t.deferredPending).toBe(2);
    finish();
    await flush();
    await flush();
    expect(commits).toEqual(['9']);
    expect(t.deferredPending).toBe(0);
  });

  it('a handler that returns no deferral commits at once, without the batch waiting for the acknowledgement', async () => {
    const { run } = deferring(async () => undefined);
    const { p, commits } = payload('topic.a', [message(3)]);
    await run(p);
    await flush();
    expect(commits).toEqual(['4']);
  });

  it('work that fails seeks the partition back to the chunk\'s first message, and nothing from there is committed', async () => {
    let fail!: (err: Error) => void;
    const { run, consumer } = deferring(async () => new DeferredCommit(new Promise<void>((_r, rej) => (fail = rej))));
    const { p, commits } = payload('topic.a', [message(5), message(6)]);
    await run(p);
    fail(new Error('PostgreSQL went away'));
    await flush();
    expect(consumer.seek).toHaveBeenCalledWith({ topic: 'topic.a', partition: 0, offset: '5' });
    expect(commits).toEqual([]);
  });

  it('past deferredLimit pending messages, the batch waits for the work to settle before it returns', async () => {
    let finish!: () => void;
    const { run } = deferring(async () => new DeferredCommit(new Promise<void>((r) => (finish = r))), { deferredLimit: 1 });
    const { p, commits } = payload('topic.a', [message(1), message(2)]);
    let returned = false;
    const batch = run(p).then(() => (returned = true));
    await new Promise((r) => setTimeout(r, 60));
    expect(returned).toBe(false);
    finish();
    await batch;
    expect(commits).toEqual(['3']);
  });

  it('a poison message in a deferring batch still goes to the DLQ alone; the others\' work is committed once settled', async () => {
    const producer = new FakeProducer();
    const settledFor: number[][] = [];
    const t = new KafkaBatchTransport({ kafka: {} as Kafka, producer, groupId: 'hookstream-test-group', mergePartitions: false, fetchLingerMs: 0, maxAttempts: 1 });
    t.addHandler('topic.a', async (data: unknown) => {
      const ns = (data as InboundMessage<{ n: number }>[]).map((m) => m.value.n);
      if (ns.includes(2)) throw new PermanentMessageError('n=2 is invalid');
      settledFor.push(ns);
      return new DeferredCommit(Promise.resolve());
    }, true, { batch: true, deferCommit: true });
    const { p, commits } = payload('topic.a', [message(1), message(2), message(3)]);
    await (t as unknown as Internals).onBatch(p, { seek: jest.fn() });
    await flush();
    await flush();
    expect(settledFor).toEqual([[1], [3]]);
    expect(producer.sent.map((s) => s.topic)).toEqual(['topic.a.dlq']);
    expect(commits).toEqual(['4']);
  });
});
