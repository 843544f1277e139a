import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CompressionCodecs } from 'kafkajs';
import { CoalescingProducer, compressionType, createKafkaClient, zstdAvailable, type KafkaCompression } from '../src';
import { createTopicPair, handlerModule, startConsumer, testBrokers, testKafka, waitFor } from './support/kafka-harness';

/**
 * Interoperability with Apache Kafka's own Java client, not just our codec against itself: what our
 * producer compresses, Kafka's console consumer reads; what Kafka's console producer compresses,
 * our transport reads. The jars are the ones tools/infra/kafka.sh runs the broker from.
 */
const ROOT = join(__dirname, '../../..');
/** Where tools/infra/kafka.sh keeps the jars (it fetches them first when missing). */
const KAFKA_LIB = execFileSync('bash', [join(ROOT, 'tools/infra/kafka.sh'), 'fetch'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' }).trim().split('\n').pop() ?? '';
const CODECS: KafkaCompression[] = ['gzip', 'snappy', 'lz4', ...(zstdAvailable ? (['zstd'] as const) : [])];
const run = promisify(execFile);

function javaTool(mainClass: string, args: string[], stdin?: string): Promise<string> {
  if (!existsSync(KAFKA_LIB)) throw new Error(`tools/infra/kafka.sh fetch answered "${KAFKA_LIB}", which does not exist: see its output above`);
  if (stdin === undefined) return run('java', ['-Xmx128m', '-cp', `${KAFKA_LIB}/*`, mainClass, ...args], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }).then((r) => r.stdout);
  return new Promise((resolve, reject) => {
    const p = spawn('java', ['-Xmx128m', '-cp', `${KAFKA_LIB}/*`, mainClass, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${mainClass} exited ${code}: ${err.slice(-2000)}`))));
    p.stdin.end(stdin);
  });
}

describe('Kafka compression against Apache Kafka clients (real broker)', () => {
  const bootstrap = testBrokers().join(',');
  if (process.env['KAFKA_SSL'] === 'true' || process.env['KAFKA_SASL_MECHANISM']) {
    throw new Error('this spec drives Kafka\'s console tools over plaintext; run it against the plaintext test broker');
  }

  it('what our producer compresses with each codec, the Java console consumer reads back', async () => {
    const admin = testKafka('it-compress-admin');
    const factories = CompressionCodecs as unknown as Record<number, () => unknown>;
    const topics = new Map<KafkaCompression, string>();
    for (const codec of CODECS) {
      const topic = await createTopicPair(admin, `codec-out-${codec}`);
      topics.set(codec, topic);
      const kafka = createKafkaClient({ brokers: testBrokers(), clientId: `it-compress-${codec}`, compression: codec });
      // The registered codec is the real one: the spy only counts that kafkajs asked it to compress.
      const spy = jest.spyOn(factories, compressionType(codec));
      const producer = new CoalescingProducer(kafka, { sendTimeoutMs: 15_000 });
      await producer.connect();
      try {
        await Promise.all(Array.from({ length: 50 }, (_, i) => producer.send(topic, [{ key: `k${i % 3}`, value: { codec, n: i, text: 'hookstream '.repeat(20) } }])));
      } finally {
        await producer.disconnect();
      }
      if (codec !== 'gzip') expect(spy).toHaveBeenCalled();
      spy.mockRestore();
    }
    const out = await javaTool('org.apache.kafka.tools.consumer.ConsoleConsumer', [
      '--bootstrap-server', bootstrap, '--include', [...topics.values()].map((t) => t.replace(/\./g, '\\.')).join('|'),
      '--from-beginning', '--max-messages', String(50 * CODECS.length), '--timeout-ms', '30000',
    ]);
    const values = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { codec: string; n: number; text: string });
    for (const codec of CODECS) {
      const mine = values.filter((v) => v.codec === codec);
      expect(mine.map((v) => v.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(mine.every((v) => v.text === 'hookstream '.repeat(20))).toBe(true);
    }
  }, 120_000);

  it('what the Java console producer compresses with each codec, our transport consumes', async () => {
    const admin = testKafka('it-compress-admin-in');
    const received = new Map<string, number[]>();
    const running: { app: { close(): Promise<void> } }[] = [];
    try {
      await Promise.all(
        CODECS.map(async (codec) => {
          const topic = await createTopicPair(admin, `codec-in-${codec}`);
          const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ codec, n: i, text: 'from java '.repeat(10) })).join('\n');
          await javaTool('org.apache.kafka.tools.ConsoleProducer', ['--bootstrap-server', bootstrap, '--topic', topic, '--compression-codec', codec, '--producer-property', 'acks=all'], `${lines}\n`);
          const consumer = await startConsumer(
            handlerModule(topic, (data) => {
              for (const m of data as { value: { codec: string; n: number } }[]) received.set(m.value.codec, [...(received.get(m.value.codec) ?? []), m.value.n]);
            }, { batch: true }),
            { kafka: admin, groupId: `it-compress-in-${codec}-${Date.now()}`, producer: { send: async () => undefined } },
          );
          running.push(consumer);
        }),
      );
      await waitFor(() => CODECS.every((c) => (received.get(c)?.length ?? 0) >= 40) || undefined, { timeoutMs: 30_000, what: 'every codec\'s 40 records' });
      for (const codec of CODECS) expect([...new Set(received.get(codec))].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    } finally {
      for (const r of running) await r.app.close();
    }
  }, 120_000);

  it('zstd is part of the run on the Node the project pins', () => {
    // npm test runs Node 24 (tools/dev/ensure-node.sh): zstd must be covered there, not silently left out.
    expect(Number(process.versions.node.split('.')[0]) < 24 || CODECS.includes('zstd')).toBe(true);
  });
});
