import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { compressionType, KAFKA_COMPRESSIONS, registerKafkaCodecs, zstdAvailable } from './compression';
import { createKafkaClient, producerCompression } from './kafka-connection';

type Codec = () => { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(buffer: Buffer): Promise<Buffer> };

/** A record batch's worth of JSON events: compressible, like the pipeline's. */
function jsonBatch(n: number): Buffer {
  return Buffer.from(
    Array.from({ length: n }, (_, i) => JSON.stringify({ id: `evt_${i}`, type: 'purchase', person: { email: `buyer${i}@example.com` }, amount: i * 3.5, note: randomBytes(8).toString('hex') })).join(''),
  );
}

describe('Kafka compression codecs', () => {
  beforeAll(() => registerKafkaCodecs());

  it('maps every KAFKA_COMPRESSION value to its kafkajs type', () => {
    expect(KAFKA_COMPRESSIONS.map(compressionType)).toEqual([CompressionTypes.None, CompressionTypes.GZIP, CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD]);
  });

  it.each(['snappy', 'lz4', 'zstd'] as const)('%s: round-trips a batch, and compresses JSON', async (name) => {
    const codec = (CompressionCodecs as unknown as Record<number, Codec>)[compressionType(name)];
    expect(codec).toBeDefined();
    const data = jsonBatch(300);
    if (name === 'zstd' && !zstdAvailable) {
      // This Node has no zstd: the codec says what to do instead of failing obscurely.
      expect(() => codec()).toThrow(/needs Node's zlib zstd/);
      return;
    }
    const c = codec();
    const packed = await c.compress({ buffer: data });
    expect(packed.length).toBeLessThan(data.length / 2);
    expect((await c.decompress(packed)).equals(data)).toBe(true);
  });

  it('lz4 writes the LZ4 frame format Kafka expects (magic 0x184D2204)', async () => {
    const packed = await (CompressionCodecs as unknown as Record<number, Codec>)[CompressionTypes.LZ4]().compress({ buffer: jsonBatch(10) });
    expect(packed.readUInt32LE(0)).toBe(0x184d2204);
  });

  it('a client remembers its KAFKA_COMPRESSION for its producers; none by default', () => {
    expect(producerCompression(createKafkaClient({ brokers: ['127.0.0.1:1'], clientId: 't' }))).toEqual({ name: 'none', type: CompressionTypes.None });
    expect(producerCompression(createKafkaClient({ brokers: ['127.0.0.1:1'], clientId: 't', compression: 'lz4' }))).toEqual({ name: 'lz4', type: CompressionTypes.LZ4 });
  });
});
