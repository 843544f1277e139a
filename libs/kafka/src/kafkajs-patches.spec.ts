/*
 * patches/kafkajs+2.2.4.patch (applied by `npm ci` through patch-package) rewrites how kafkajs
 * encodes produce requests: unzeroed, pre-sized buffers, in-place varints, a native CRC-32C, and
 * the record batch, the request and its frame each written once at their final size. The
 * bytes on the wire must not change. These tests pin the encodings against independent
 * implementations of the Kafka record format; the integration tests then round-trip through a
 * real broker, which rejects a record batch whose layout or checksum is wrong.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

interface EncoderLike {
  writeVarInt(v: number): EncoderLike;
  writeVarLong(v: unknown): EncoderLike;
  buffer: Buffer;
}
type EncoderCtor = { new (size?: number): EncoderLike; sizeOfVarLong(v: unknown): number };
const Encoder = require('kafkajs/src/protocol/encoder') as EncoderCtor;
const Long = require('kafkajs/src/utils/long') as { fromNumber(n: number): object };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: {
  offsetDelta?: number;
  timestampDelta?: number | object;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string | Buffer | (string | Buffer)[]>;
}) => EncoderLike;
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;
const crc32CJs = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C') as (b: Buffer) => number;
const Decoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => unknown;
const RecordDecoder = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (
  d: unknown,
  ctx: { firstOffset: string; firstTimestamp: string; magicByte: number },
) => { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[]> };
const murmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: Buffer | string) => number;

/** Kafka's murmur2 (Utils.murmur2) over BigInt, truncating to 32 bits as Java's int does. */
function murmur2Reference(data: Buffer): number {
  const m = 0x5bd1e995n;
  const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
  let h = u32(0x9747b28cn ^ BigInt(data.length));
  const n4 = data.length - (data.length % 4);
  for (let i = 0; i < n4; i += 4) {
    let k = BigInt(data.readUInt32LE(i));
    k = u32(k * m);
    k ^= k >> 24n;
    k = u32(k * m);
    h = u32(h * m) ^ k;
  }
  const rest = data.length % 4;
  if (rest >= 3) h ^= BigInt(data[n4 + 2]!) << 16n;
  if (rest >= 2) h ^= BigInt(data[n4 + 1]!) << 8n;
  if (rest >= 1) {
    h ^= BigInt(data[n4]!);
    h = u32(h * m);
  }
  h ^= h >> 13n;
  h = u32(h * m);
  h ^= h >> 15n;
  return Number(BigInt.asIntN(32, h));
}

/** Zig-zag + unsigned LEB128 over BigInt: the Kafka varint/varlong, written from the spec. */
function varint(n: number | bigint): Buffer {
  const v = BigInt(n);
  let z = v >= 0n ? v << 1n : ((-v) << 1n) - 1n;
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

function varBytes(b: Buffer | null): Buffer {
  return b === null ? varint(-1) : Buffer.concat([varint(b.length), b]);
}

/** A v2 record, built from the protocol documentation. */
function specRecord(offsetDelta: number, timestampDelta: number, key: Buffer | null, value: Buffer | null, headers: [string, Buffer | null][]): Buffer {
  const body = Buffer.concat([
    Buffer.from([0]),
    varint(timestampDelta),
    varint(offsetDelta),
    varBytes(key),
    varBytes(value),
    varint(headers.length),
    ...headers.map(([k, v]) => Buffer.concat([varBytes(Buffer.from(k)), varBytes(v)])),
  ]);
  return Buffer.concat([varint(body.length), body]);
}

describe('kafkajs produce encoding (patched)', () => {
  it('the patch is applied to the installed kafkajs (npm ci runs patch-package)', () => {
    const src = readFileSync(require.resolve('kafkajs/src/protocol/encoder'), 'utf8');
    expect(src).toContain('hookstream patch');
  });

  it.each([0, 1, -1, 63, 64, -64, -65, 127, 128, 300, -300, 16_383, 16_384, 2 ** 21, 2 ** 28 - 1, 2 ** 30 - 1, -(2 ** 30) + 1, 2 ** 31 - 1, -(2 ** 31)])(
    'varint %d is the spec encoding',
    (n) => {
      expect(new Encoder().writeVarInt(n).buffer).toEqual(varint(n));
    },
  );

  it.each([0, 5, -5, 1_000, 2 ** 30 - 1, 2 ** 30, -(2 ** 30), 2 ** 40, -(2 ** 40), Date.UTC(2026, 10, 25)])('varlong %d: fast path and Long path agree with the spec', (n) => {
    expect(new Encoder().writeVarLong(n).buffer).toEqual(varint(n));
    expect(new Encoder().writeVarLong(Long.fromNumber(n)).buffer).toEqual(varint(n));
    expect(Encoder.sizeOfVarLong(n)).toBe(varint(n).length);
  });

  it('records (small, over 512 bytes, null key, headers incl. multi-valued and binary) match the spec layout byte for byte', () => {
    const big = randomBytes(5_000);
    const cases: [Parameters<typeof Record>[0], Buffer][] = [
      [{ key: 'k', value: '{"a":1}' }, specRecord(0, 0, Buffer.from('k'), Buffer.from('{"a":1}'), [])],
      [
        { offsetDelta: 7, timestampDelta: 1234, key: null, value: big, headers: { ce_id: 'evt_1', traceparent: '00-' + 'a'.repeat(32) + '-' + 'b'.repeat(16) + '-01' } },
        specRecord(7, 1234, null, big, [
          ['ce_id', Buffer.from('evt_1')],
          ['traceparent', Buffer.from('00-' + 'a'.repeat(32) + '-' + 'b'.repeat(16) + '-01')],
        ]),
      ],
      [
        { offsetDelta: 300, timestampDelta: -5, key: 'ключ', value: 'ü'.repeat(400), headers: { multi: ['x', 'y'], bin: Buffer.from([0, 255]) } },
        specRecord(300, -5, Buffer.from('ключ'), Buffer.from('ü'.repeat(400)), [
          ['multi', Buffer.from('x')],
          ['multi', Buffer.from('y')],
          ['bin', Buffer.from([0, 255])],
        ]),
      ],
    ];
    for (const [input, expected] of cases) expect(Record(input).buffer).toEqual(expected);
  });

  it('many encoders in a row never leak bytes of earlier buffers (unzeroed memory is always overwritten)', () => {
    for (let i = 0; i < 200; i++) {
      const value = randomBytes(1 + (i % 700));
      expect(Record({ offsetDelta: i, key: `k${i}`, value, headers: { h: `v${i}` } }).buffer).toEqual(
        specRecord(i, 0, Buffer.from(`k${i}`), value, [['h', Buffer.from(`v${i}`)]]),
      );
    }
  });

  it('the record batch checksum is CRC-32C: the check value, and the JavaScript table on random data', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32C(Buffer.alloc(0))).toBe(0);
    for (const size of [1, 31, 32, 33, 4_096, 100_003]) {
      const b = randomBytes(size);
      expect(crc32C(b)).toBe(crc32CJs(b));
    }
  });

  it('a whole Produce request (v3 and the versions built on it) and its frame match the spec layout byte for byte', async () => {
    const now = Date.UTC(2026, 11, 7, 12, 0, 0);
    const values = [randomBytes(3_000), randomBytes(40), randomBytes(70_000)];
    const topicData = [
      {
        topic: 'hookstream.deliveries.v1',
        partitions: [
          { partition: 4, firstSequence: 0, messages: [{ key: 'ep_1', value: values[0]!, timestamp: String(now), headers: { ce_id: 'dlv_1' } }, { key: null, value: values[1]!, timestamp: String(now + 7) }] },
          { partition: 0, firstSequence: 0, messages: [{ key: 'ep_2', value: values[2]!, timestamp: String(now + 2) }] },
        ],
      },
      { topic: 't', partitions: [{ partition: 1, firstSequence: 0, messages: [] as { key: string; value: Buffer; timestamp: string }[] }] },
    ];
    const be = (bytes: number, write: (b: Buffer) => void): Buffer => {
      const b = Buffer.alloc(bytes);
      write(b);
      return b;
    };
    const int16 = (n: number) => be(2, (b) => b.writeInt16BE(n));
    const int32 = (n: number) => be(4, (b) => b.writeInt32BE(n));
    const int64 = (n: number | bigint) => be(8, (b) => b.writeBigInt64BE(BigInt(n)));
    const str = (v: string | null) => (v === null ? int16(-1) : Buffer.concat([int16(Buffer.byteLength(v)), Buffer.from(v)]));
    /** A v2 record batch, uncompressed, from the protocol documentation (the checksum by the JavaScript table). */
    const specBatch = (messages: { key: string | null; value: Buffer; timestamp: string; headers?: Record<string, string> }[], transactional: boolean, producerId: bigint, producerEpoch: number): Buffer => {
      const stamps = messages.map((m) => Number(m.timestamp)).sort();
      const first = stamps[0] ?? now;
      const body = Buffer.concat([
        int16(transactional ? 16 : 0), int32(messages.length - 1), int64(first), int64(stamps[stamps.length - 1] ?? now), int64(producerId), int16(producerEpoch), int32(0),
        int32(messages.length),
        ...messages.map((m, i) => specRecord(i, Number(m.timestamp) - first, m.key === null ? null : Buffer.from(m.key), m.value, Object.entries(m.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)]))),
      ]);
      const batch = Buffer.concat([int32(0), Buffer.from([2]), be(4, (b) => b.writeUInt32BE(crc32CJs(body) >>> 0)), body]);
      return Buffer.concat([int64(0), int32(batch.length), batch]);
    };
    const specRequest = (version: number, transactionalId: string | null, producerId: bigint, producerEpoch: number, clientId: string | null): Buffer => {
      const payload = Buffer.concat([
        str(transactionalId), int16(-1), int32(30_000), int32(topicData.length),
        ...topicData.map((t) => Buffer.concat([
          str(t.topic), int32(t.partitions.length),
          ...t.partitions.map((p) => {
            const batch = specBatch(p.messages, transactionalId !== null, producerId, producerEpoch);
            return Buffer.concat([int32(p.partition), int32(batch.length), batch]);
          }),
        ])),
      ]);
      const frame = Buffer.concat([int16(0), int16(version), int32(42), str(clientId), payload]);
      return Buffer.concat([int32(frame.length), frame]);
    };
    const frameRequest = require('kafkajs/src/protocol/request') as (r: { correlationId: number; clientId: string | null; request: unknown }) => Promise<{ buffer: Buffer }>;
    for (const version of [3, 5, 7]) {
      const produce = require(`kafkajs/src/protocol/requests/produce/v${version}/request`) as (args: object) => unknown;
      for (const [transactionalId, producerId, producerEpoch, clientId] of [[null, -1n, 0, 'hookstream-automation'], ['tx-1', 123_456n, 3, null]] as const) {
        const request = produce({ acks: -1, timeout: 30_000, transactionalId, producerId: Long.fromNumber(Number(producerId)), producerEpoch, topicData });
        // A partition without messages takes its batch timestamps from the clock, read as it encodes.
        const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
        let encoded: Buffer;
        try {
          encoded = (await frameRequest({ correlationId: 42, clientId, request })).buffer;
        } finally {
          clock.mockRestore();
        }
        expect(encoded).toEqual(specRequest(version, transactionalId, producerId, producerEpoch, clientId));
      }
    }
  });

  it('a send\'s messages are grouped by partition in their order (patched: each list grows in place)', () => {
    const group = require('kafkajs/src/producer/groupMessagesPerPartition') as (a: {
      topic: string; partitionMetadata: unknown[]; messages: { key: string; partition?: number }[]; partitioner: (a: { message: { key: string; partition?: number } }) => number;
    }) => Record<string, { key: string }[]>;
    const messages = Array.from({ length: 2_000 }, (_, i) => ({ key: `k${i}`, ...(i % 97 === 0 ? { partition: 5 } : {}) }));
    const partitioner = ({ message }: { message: { key: string; partition?: number } }) => message.partition ?? (murmur2(message.key) & 0x7fffffff) % 4;
    const grouped = group({ topic: 't', partitionMetadata: [{}, {}, {}, {}, {}, {}], messages, partitioner });
    // kafkajs's own version: Object.assign(result, { [partition]: [...current, message] }) per message.
    const expected: Record<string, { key: string }[]> = {};
    for (const m of messages) expected[partitioner({ message: m })] = [...(expected[partitioner({ message: m })] ?? []), m];
    expect(grouped).toEqual(expected);
    expect(Object.keys(grouped).sort()).toEqual(['0', '1', '2', '3', '5']);
    expect(group({ topic: 't', partitionMetadata: [], messages, partitioner })).toEqual({});
  });

  it("the key partitioner hash is Java's murmur2: Kafka's own test vectors, and a BigInt reference on random keys", () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2: a key lands on the partition a Java producer would pick.
    const javaVectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of javaVectors) expect(murmur2(key)).toBe(hash);
    for (let i = 0; i < 2_000; i++) {
      const key = randomBytes(i % 67);
      expect(murmur2(key)).toBe(murmur2Reference(key));
    }
  });

  it('decoding (patched): offsets and timestamps as exact decimal strings, repeated headers as arrays', () => {
    const headers = { ce_id: 'evt_1', multi: ['x', 'y', 'z'], traceparent: 'tp' };
    const encoded = Record({ offsetDelta: 41, timestampDelta: 7, key: 'k', value: '{"a":1}', headers }).buffer;
    const cases: [string, string, string, string][] = [
      // firstOffset, firstTimestamp → expected offset, timestamp
      ['1000', '1795564800000', '1041', '1795564800007'],
      ['0', '0', '41', '7'],
      // Beyond 2^53: exact through the Long path, not rounded.
      ['9223372036854775000', '9007199254740993', '9223372036854775041', '9007199254741000'],
    ];
    for (const [firstOffset, firstTimestamp, offset, timestamp] of cases) {
      // The record's own length prefix is read by the batch decoder; skip it as it does.
      const d = new Decoder(encoded) as { readVarInt(): number };
      d.readVarInt();
      const r = RecordDecoder(d, { firstOffset, firstTimestamp, magicByte: 2 });
      expect(r.offset).toBe(offset);
      expect(r.timestamp).toBe(timestamp);
      expect(r.key?.toString()).toBe('k');
      expect(r.value?.toString()).toBe('{"a":1}');
      expect(Object.keys(r.headers)).toEqual(['ce_id', 'multi', 'traceparent']);
      expect(r.headers['ce_id']?.toString()).toBe('evt_1');
      expect((r.headers['multi'] as Buffer[]).map(String)).toEqual(['x', 'y', 'z']);
    }
  });

  it('decoding (patched): every timestamp delta, small (plain numbers) or not (the Long path), gives the exact timestamp', () => {
    const firstTimestamp = '1795564800000';
    // Around each varint length (1–5+ bytes of zig-zag), both signs, and far beyond 2^31.
    const deltas = [0, 1, -1, 63, -64, 64, 8191, -8192, 8192, 2 ** 20, -(2 ** 20), 2 ** 27 - 1, -(2 ** 27), 2 ** 27, -(2 ** 27) - 1, 2 ** 31, 2 ** 40 + 3, -(2 ** 40)];
    for (const delta of deltas) {
      const encoded = Record({ offsetDelta: 2, timestampDelta: Math.abs(delta) < 0x40000000 ? delta : Long.fromNumber(delta), key: null, value: 'v' }).buffer;
      const d = new Decoder(encoded) as { readVarInt(): number; offset: number };
      d.readVarInt();
      const r = RecordDecoder(d, { firstOffset: '10', firstTimestamp, magicByte: 2 });
      expect({ delta, timestamp: r.timestamp, offset: r.offset, value: r.value?.toString() }).toEqual({
        delta,
        timestamp: (BigInt(firstTimestamp) + BigInt(delta)).toString(),
        offset: '12',
        value: 'v',
      });
      // The whole record was read: nothing left over or read past.
      expect(d.offset).toBe(encoded.length);
    }
    // The fast path is what the decoder takes: a plain number up to four varint bytes, a Long past them.
    const small = new Decoder(varint(-(2 ** 27))) as { readSmallVarLong(): unknown };
    expect(small.readSmallVarLong()).toBe(-(2 ** 27));
    const large = new Decoder(varint(2 ** 27)) as { readSmallVarLong(): unknown };
    const long = large.readSmallVarLong();
    expect(typeof long).toBe('object');
    expect(String(long)).toBe(String(2 ** 27));
  });
});

type SendMessages = (deps: {
  logger: { debug(): void; error(): void };
  cluster: unknown;
  partitioner: (a: { message: { partition?: number } }) => number;
  eosManager: unknown;
  retrier: <T>(fn: (bail: (e: Error) => void, retryCount: number, retryTime: number) => Promise<T>) => Promise<T>;
}) => (req: { acks: number; timeout?: number; topicMessages: { topic: string; messages: { partition: number; value: string }[] }[] }) => Promise<{ topicName: string; partition: number }[]>;
const createSendMessages = require('kafkajs/src/producer/sendMessages') as SendMessages;

/**
 * A produce that fails on one broker is retried; if that partition's leadership moved to a broker
 * that had already acknowledged its own partitions, unpatched kafkajs skipped that broker on the
 * retry and resolved without ever writing the partition (acknowledged events lost on a broker kill
 * or a rolling restart). These drive kafkajs' real sendMessages against scripted brokers.
 */
describe('kafkajs produce retries (patched): every partition is written before send() resolves', () => {
  interface Produced { broker: number; topic: string; partition: number; values: string[]; firstSequence: number }

  function scripted(opts: { failFirst?: Record<number, Error>; down?: number; paused?: number }) {
    const leaders = new Map<number, number>([[0, 1], [1, 2], [2, 3]]);
    // What the client believes, refreshed only when kafkajs asks (like its metadata cache).
    let known = new Map(leaders);
    let stale = false;
    const removed: string[] = [];
    const produced: Produced[] = [];
    const failures = { ...opts.failFirst };
    const sequences = new Map<string, number>();
    const broker = (nodeId: number) => ({
      nodeId,
      produce: async ({ topicData }: { topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: { value: string }[] }[] }[] }) => {
        await new Promise((r) => setTimeout(r, nodeId)); // brokers answer in some order
        if (nodeId === opts.down) throw Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError', retriable: true });
        if (nodeId === opts.paused) {
          // Paused: the socket stays open, every request times out; the controller fences it and
          // its partitions move to broker 2.
          for (const [p, l] of leaders) if (l === nodeId) leaders.set(p, 2);
          throw Object.assign(new Error('Request Produce(key: 0, version: 7) timed out'), { name: 'KafkaJSRequestTimeoutError', retriable: true, broker: `127.0.0.1:909${nodeId}` });
        }
        const fail = failures[nodeId];
        if (fail) {
          delete failures[nodeId];
          // The broker is gone: its partitions move to broker 2, which acknowledged its own already.
          for (const [p, l] of leaders) if (l === nodeId) leaders.set(p, 2);
          throw fail;
        }
        for (const t of topicData) for (const p of t.partitions) {
          if (leaders.get(p.partition) !== nodeId) throw Object.assign(new Error('This server is not the leader for that topic-partition'), { name: 'KafkaJSProtocolError', type: 'NOT_LEADER_FOR_PARTITION', retriable: true });
          produced.push({ broker: nodeId, topic: t.topic, partition: p.partition, values: p.messages.map((m) => m.value), firstSequence: p.firstSequence });
        }
        return { topics: topicData.map((t) => ({ topicName: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })) })) };
      },
    });
    const brokers = new Map([1, 2, 3].map((n) => [n, broker(n)]));
    const refresh = async () => {
      known = new Map(leaders);
      stale = false;
    };
    const cluster = {
      refreshMetadataIfNecessary: async () => (stale ? refresh() : undefined),
      refreshMetadata: refresh,
      addMultipleTargetTopics: async () => undefined,
      isConnected: () => true,
      removeBroker: ({ host, port }: { host: string; port: number }) => {
        removed.push(`${host}:${port}`);
        stale = true;
      },
      targetTopics: new Set<string>(),
      findTopicPartitionMetadata: () => [...known].map(([partitionId, leader]) => ({ partitionId, leader })),
      findLeaderForPartitions: (_topic: string, partitions: string[]) => {
        const out: Record<number, number[]> = {};
        for (const p of partitions.map(Number)) (out[known.get(p)!] ??= []).push(p);
        return out;
      },
      findBroker: async ({ nodeId }: { nodeId: string }) => brokers.get(Number(nodeId)),
    };
    const eosManager = {
      acquireBrokerLock: async () => undefined,
      releaseBrokerLock: async () => undefined,
      isTransactional: () => false,
      getProducerId: () => 1,
      getProducerEpoch: () => 0,
      getSequence: (topic: string, partition: number) => sequences.get(`${topic}/${partition}`) ?? 0,
      updateSequence: (topic: string, partition: number, n: number) => sequences.set(`${topic}/${partition}`, (sequences.get(`${topic}/${partition}`) ?? 0) + n),
    };
    const retrier: Parameters<SendMessages>[0]['retrier'] = async (fn) => {
      for (let retryCount = 0; ; retryCount++) {
        let bailed: Error | undefined;
        try {
          return await fn((e) => (bailed = e), retryCount, 0);
        } catch (e) {
          if (bailed || retryCount >= 5) throw bailed ?? e;
        }
      }
    };
    const send = createSendMessages({ logger: { debug: () => undefined, error: () => undefined }, cluster, partitioner: ({ message }) => message.partition ?? 0, eosManager, retrier });
    return { send, produced, sequences, removed };
  }

  const messages = [0, 1, 2].flatMap((p) => [`a${p}`, `b${p}`].map((value) => ({ partition: p, value })));

  it.each([
    ['a connection error (broker killed)', Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError', retriable: true })],
    ['"not the leader" (broker shutting down)', Object.assign(new Error('This server is not the leader for that topic-partition'), { name: 'KafkaJSProtocolError', type: 'NOT_LEADER_FOR_PARTITION', retriable: true })],
  ])('after %s, the moved partition is sent to its new leader, once, with its original sequence', async (_what, err) => {
    const { send, produced, sequences } = scripted({ failFirst: { 3: err } });
    const acks = await send({ acks: -1, topicMessages: [{ topic: 't', messages }] });

    // Partition 2 (led by the failing broker 3) is written — by broker 2, on the retry.
    expect(produced.filter((p) => p.partition === 2)).toEqual([{ broker: 2, topic: 't', partition: 2, values: ['a2', 'b2'], firstSequence: 0 }]);
    // Partitions acknowledged on the first attempt are not sent again.
    expect(produced.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
    expect(acks.map((a) => `${a.topicName}/${a.partition}`).sort()).toEqual(['t/0', 't/1', 't/2']);
    expect(Object.fromEntries(sequences)).toEqual({ 't/0': 2, 't/1': 2, 't/2': 2 });
  });

  it('a leader that stops answering (paused: requests time out) is dropped and the retry goes to the partition\'s new leader', async () => {
    const { send, produced, removed } = scripted({ paused: 3 });
    await expect(send({ acks: -1, topicMessages: [{ topic: 't', messages }] })).resolves.toHaveLength(3);
    expect(removed).toEqual(['127.0.0.1:9093']);
    expect(produced.filter((p) => p.partition === 2)).toEqual([{ broker: 2, topic: 't', partition: 2, values: ['a2', 'b2'], firstSequence: 0 }]);
  });

  it('a partition whose leader stays unreachable fails the send after the retries (never resolves unwritten)', async () => {
    const { send, produced } = scripted({ down: 3 });
    await expect(send({ acks: -1, topicMessages: [{ topic: 't', messages }] })).rejects.toThrow(/ECONNREFUSED/);
    expect(produced.map((p) => p.partition).sort()).toEqual([0, 1]);
  });
});

/*
 * The request queue of each broker connection (patched: kafkajs#1556). Upstream, a check that
 * found nothing pending scheduled another one at 0 ms, forever: a 1 kHz timer loop per connection
 * that kept every idle app at ~3 % of a core. Requests must still go out after a client-side
 * throttle and when an in-flight slot frees up.
 */
describe('kafkajs request queue (patched: no timer loop)', () => {
  interface QueueLike {
    push(r: { entry: { correlationId: number; apiKey: number; apiName: string; apiVersion: number; resolve: () => void; reject: () => void }; expectResponse: boolean; sendRequest: () => void }): void;
    checkPendingRequests(): void;
    fulfillRequest(r: { correlationId: number; payload: Buffer; size: number }): void;
    maybeThrottle(ms: number | null): void;
    throttleCheckTimeoutId: NodeJS.Timeout | null;
    pending: unknown[];
  }
  const RequestQueue = require('kafkajs/src/network/requestQueue') as new (o: Record<string, unknown>) => QueueLike;
  const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const queue = (maxInFlightRequests: number | null = null) =>
    new RequestQueue({ maxInFlightRequests, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'spec', broker: '127.0.0.1:9092', logger });
  const request = (correlationId: number, sent: number[]) => ({
    entry: { correlationId, apiKey: 1, apiName: 'Fetch', apiVersion: 11, resolve: () => undefined, reject: () => undefined },
    expectResponse: true,
    sendRequest: () => sent.push(correlationId),
  });

  it('schedules no timer when nothing is pending and nothing is throttled', () => {
    const q = queue();
    const spy = jest.spyOn(global, 'setTimeout');
    try {
      q.checkPendingRequests();
      q.fulfillRequest({ correlationId: 99, payload: Buffer.alloc(0), size: 0 });
      expect(q.throttleCheckTimeoutId).toBeNull();
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('a request queued while throttled is sent once the throttle ends, and no timer is left behind', async () => {
    const q = queue();
    const sent: number[] = [];
    q.maybeThrottle(40);
    q.push(request(1, sent));
    expect(sent).toEqual([]);
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    await new Promise((r) => setTimeout(r, 120));
    expect(sent).toEqual([1]);
    expect(q.pending).toHaveLength(0);
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('a request waiting for an in-flight slot is sent when a response frees one', () => {
    const q = queue(1);
    const sent: number[] = [];
    q.push(request(1, sent));
    q.push(request(2, sent));
    expect(sent).toEqual([1]);
    q.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1, 2]);
    q.fulfillRequest({ correlationId: 2, payload: Buffer.alloc(0), size: 0 });
    expect(q.pending).toHaveLength(0);
  });
});
