import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { KAFKA_COMPRESSIONS, nodeHasZstd, type KafkaCompression } from '@hookstream/config';

/**
 * Kafka's record-batch codecs for kafkajs, which only ships gzip:
 * - snappy: `kafkajs-snappy` (xerial framing, as the Java client writes it);
 * - lz4: `lz4-napi` (prebuilt binaries), LZ4 frame format, which record batch v2 uses;
 * - zstd: Node's own `zlib` zstd (Node ≥ 22.15 / 23.8; the images run Node 24).
 *
 * Registered for every client `createKafkaClient` builds, whatever KAFKA_COMPRESSION says: a
 * consumer must read batches whichever codec their producer chose (another service publishing to
 * our topics, a topic with `compression.type` set on the broker). Without it kafkajs fails the
 * whole fetch on the first compressed batch.
 */

type Codec = () => { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(buffer: Buffer): Promise<Buffer> };

const zstdCompress = (zlib as { zstdCompress?: (b: Buffer, cb: (err: Error | null, out: Buffer) => void) => void }).zstdCompress;
const zstdDecompress = (zlib as { zstdDecompress?: (b: Buffer, cb: (err: Error | null, out: Buffer) => void) => void }).zstdDecompress;

/** Whether this Node has zstd (node:zlib); KAFKA_COMPRESSION=zstd is refused at start-up otherwise (the config's same check). */
export const zstdAvailable = nodeHasZstd();

const lz4Codec: Codec = () => {
  // Loaded on first use: a client that never meets an lz4 batch never loads the native module.
  const lz4 = require('lz4-napi') as typeof import('lz4-napi');
  return {
    compress: async (encoder) => lz4.compressFrame(encoder.buffer),
    decompress: async (buffer) => lz4.decompressFrame(buffer),
  };
};

const zstdCodec: Codec = () => {
  if (!zstdCompress || !zstdDecompress) {
    throw new Error(`a zstd-compressed Kafka batch needs Node's zlib zstd (Node >= 22.15); this is Node ${process.versions.node}: run the Node the project pins (tools/dev/ensure-node.sh) or the images`);
  }
  const compress = promisify(zstdCompress) as (b: Buffer) => Promise<Buffer>;
  const decompress = promisify(zstdDecompress) as (b: Buffer) => Promise<Buffer>;
  return { compress: (encoder) => compress(encoder.buffer), decompress };
};

let registered = false;

/** Installs the snappy, lz4 and zstd codecs into kafkajs (once per process). */
export function registerKafkaCodecs(): void {
  if (registered) return;
  registered = true;
  const codecs = CompressionCodecs as unknown as Record<number, Codec>;
  codecs[CompressionTypes.Snappy] = require('kafkajs-snappy') as Codec;
  codecs[CompressionTypes.LZ4] = lz4Codec;
  codecs[CompressionTypes.ZSTD] = zstdCodec;
}

const TYPES: Record<KafkaCompression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** kafkajs's compression type for a KAFKA_COMPRESSION value. */
export function compressionType(name: KafkaCompression): CompressionTypes {
  return TYPES[name];
}

export { KAFKA_COMPRESSIONS, type KafkaCompression };
