import { ConfigValidationError, KafkaClientConfig, loadConfig } from '@hookstream/config';
import { TOPIC_MAX_MESSAGE_BYTES, topicPlan, type TopicSpec } from '@hookstream/contracts';
// The shared integration helpers live in the testing lib, which itself builds on this lib.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { freePort, LocalKafka, testDatabaseUrl, uniqueName, waitFor } from '@hookstream/testing';
import type { Kafka } from 'kafkajs';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CoalescingProducer, createKafkaClient, ensureTopics, KafkaAccessError, kafkaConnectionOptions, topicReplication, verifyKafkaAccess,
} from '../src';

const ROOT = join(__dirname, '..', '..', '..');

/**
 * Every Kafka client setting against a real broker of the test's own with a SASL_SSL listener
 * (tools/infra/kafka.sh KAFKA_SECURITY=sasl_ssl): certificates made by openssl now, SCRAM users
 * made by Kafka's storage tool at format time, PLAIN users in the listener's JAAS config, and an
 * SSL listener that requires a client certificate.
 */
describe('Kafka over TLS with SASL (SCRAM-SHA-512, SCRAM-SHA-256, PLAIN) and mutual TLS', () => {
  const broker = new LocalKafka({ security: 'sasl_ssl', mutualTls: true });
  let secured: Record<string, string>;
  const clients: Kafka[] = [];

  const config = (env: Record<string, string>) => loadConfig(KafkaClientConfig, env);
  const client = (env: Record<string, string>): { kafka: Kafka; cfg: KafkaClientConfig } => {
    const cfg = config(env);
    const kafka = createKafkaClient({ ...kafkaConnectionOptions(cfg, 'it-secured'), connectionTimeoutMs: 2000 });
    clients.push(kafka);
    return { kafka, cfg };
  };

  beforeAll(async () => {
    await broker.start();
    secured = { KAFKA_BROKERS: broker.brokers, ...(await broker.clientEnv()) };
  }, 240_000);

  afterAll(async () => {
    await broker.stop();
  }, 60_000);

  it.each(['scram-sha-512', 'scram-sha-256', 'plain'])('%s over TLS: creates topics with their settings, produces with acks=all and consumes', async (mechanism) => {
    const { kafka, cfg } = client({ ...secured, KAFKA_SASL_MECHANISM: mechanism });
    expect(await verifyKafkaAccess(kafka, cfg)).toEqual({ brokers: 1 });

    const topic = uniqueName(`it.secured.${mechanism}`);
    const plan: TopicSpec[] = [{ name: topic, partitions: 2, retentionMs: 3_600_000, cleanupPolicy: 'delete', consumed: false, maxMessageBytes: TOPIC_MAX_MESSAGE_BYTES }];
    expect(await ensureTopics(kafka, plan, topicReplication(cfg))).toEqual([topic]);
    const admin = kafka.admin();
    await admin.connect();
    const described = await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ['retention.ms', 'cleanup.policy', 'min.insync.replicas'] }], includeSynonyms: false });
    await admin.disconnect();
    expect(Object.fromEntries(described.resources[0].configEntries.map((e) => [e.configName, e.configValue]))).toEqual({
      'retention.ms': '3600000', 'cleanup.policy': 'delete', 'min.insync.replicas': '1',
    });

    const producer = new CoalescingProducer(kafka, { sendTimeoutMs: 10_000 });
    await producer.connect();
    await producer.send(topic, [{ key: 'k', value: { mechanism } }]);
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('it-secured'), maxWaitTimeInMs: 100 });
    const got: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(message.value?.toString() ?? '') });
    try {
      await waitFor(() => got.length > 0 || undefined, { timeoutMs: 30_000, what: 'the record back over SASL_SSL' });
    } finally {
      await consumer.disconnect();
    }
    expect(JSON.parse(got[0])).toEqual({ mechanism });
  }, 90_000);

  it('mutual TLS: a client certificate gets in, no certificate is refused with a message naming the variables', async () => {
    const mtls = { KAFKA_BROKERS: broker.mtlsBroker, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: broker.tlsFile('ca.pem') };
    const ok = client({ ...mtls, KAFKA_SSL_CERT_FILE: broker.tlsFile('client.pem'), KAFKA_SSL_KEY_FILE: broker.tlsFile('client.key') });
    expect(await verifyKafkaAccess(ok.kafka, ok.cfg)).toEqual({ brokers: 1 });

    const without = client(mtls);
    const err = await verifyKafkaAccess(without.kafka, without.cfg, 15_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaAccessError);
    expect((err as Error).message).toMatch(/KAFKA_SSL_CERT_FILE/);
  }, 60_000);

  it('a wrong password is refused at once, naming KAFKA_SASL_PASSWORD', async () => {
    const { kafka, cfg } = client({ ...secured, KAFKA_SASL_PASSWORD: 'not-the-password' });
    const t0 = Date.now();
    const err = await verifyKafkaAccess(kafka, cfg).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaAccessError);
    expect((err as Error).message).toMatch(/refused the SASL login.*KAFKA_SASL_PASSWORD/s);
    expect((err as Error).message).not.toContain('not-the-password');
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 30_000);

  it('a broker certificate the client does not trust names KAFKA_SSL_CA_FILE', async () => {
    const { kafka, cfg } = client({ ...secured, KAFKA_SSL_CA_FILE: '' });
    const err = await verifyKafkaAccess(kafka, cfg, 15_000).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/certificate was not accepted.*KAFKA_SSL_CA_FILE/s);
  }, 30_000);

  it('a plaintext client on the TLS listener is told to set KAFKA_SSL', async () => {
    const { kafka, cfg } = client({ KAFKA_BROKERS: broker.brokers });
    const err = await verifyKafkaAccess(kafka, cfg, 10_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaAccessError);
    expect((err as Error).message).toMatch(/KAFKA_SSL=true/);
  }, 30_000);

  it('replication the cluster cannot give is refused before any topic is created', async () => {
    const { kafka, cfg } = client({ ...secured, KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' });
    const plan = topicPlan(1).slice(0, 1).map((t) => ({ ...t, name: uniqueName('it.secured.rf') }));
    await expect(ensureTopics(kafka, plan, topicReplication(cfg))).rejects.toThrow(/KAFKA_REPLICATION_FACTOR=3 but the cluster .* has 1 broker/);
  }, 30_000);

  describe('an app booted with a bad Kafka setting exits with one message naming the variable', () => {
    const main = join(ROOT, 'dist/apps/validator/src/main.js');
    const boot = async (env: Record<string, string>): Promise<{ code: number | null; stderr: string; ms: number }> => {
      const port = await freePort();
      return new Promise((resolve) => {
        const t0 = Date.now();
        const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^KAFKA_/.test(k))) as Record<string, string>;
        const p = spawn(process.execPath, ['-r', './tools/runtime/register.js', main], {
          cwd: ROOT,
          env: { ...base, DATABASE_URL: testDatabaseUrl(), SECRETS_KEY: randomBytes(32).toString('base64'), HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const kill = setTimeout(() => p.kill('SIGKILL'), 45_000);
        p.on('exit', (code) => {
          clearTimeout(kill);
          resolve({ code, stderr, ms: Date.now() - t0 });
        });
      });
    };
    const fatal = (stderr: string): string[] => stderr.split('\n').filter((l) => l.includes('"level":"fatal"'));

    beforeAll(() => {
      if (!existsSync(main)) throw new Error('dist/ is missing: run `npm run build` first (npm test does it).');
    });

    it('wrong SASL password', async () => {
      const r = await boot({ ...secured, KAFKA_SASL_PASSWORD: 'wrong-password' });
      expect(r.code).toBe(1);
      expect(fatal(r.stderr)).toHaveLength(1);
      expect(fatal(r.stderr)[0]).toMatch(/refused the SASL login.*KAFKA_SASL_PASSWORD/);
      expect(r.stderr).not.toContain('wrong-password');
    }, 60_000);

    it('plaintext against the TLS listener: a few retries (a broker going away closes connections too), then one message naming KAFKA_SSL', async () => {
      const r = await boot({ KAFKA_BROKERS: broker.brokers });
      expect(r.code).toBe(1);
      expect(fatal(r.stderr)).toHaveLength(1);
      expect(fatal(r.stderr)[0]).toMatch(/closed the connection before answering.*set KAFKA_SSL=true/);
      expect(r.stderr).toMatch(/could not use Kafka at .* yet \(attempt 1/);
    }, 60_000);

    it('CA file that does not exist, and SASL without TLS', async () => {
      const r = await boot({ ...secured, KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' });
      expect(r.code).toBe(1);
      expect(fatal(r.stderr)).toHaveLength(1);
      expect(fatal(r.stderr)[0]).toMatch(/KAFKA_SSL_CA_FILE.*cannot read \/nonexistent\/ca.pem \(ENOENT\)/);

      const plain = await boot({ ...secured, KAFKA_SSL: 'false' });
      expect(plain.code).toBe(1);
      expect(fatal(plain.stderr)[0]).toMatch(/KAFKA_SASL_MECHANISM.*only supported over TLS: set KAFKA_SSL=true/);
    }, 60_000);
  });

  it('config validation lists every bad TLS/SASL variable at once', () => {
    let err: unknown;
    try {
      config({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: broker.tlsFile('client.key'), KAFKA_SSL_CERT_FILE: broker.tlsFile('client.pem'), KAFKA_SASL_MECHANISM: 'scram-sha-1' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigValidationError);
    const problems = (err as ConfigValidationError).problems.join('\n');
    expect(problems).toMatch(/KAFKA_SSL_CA_FILE.*holds no PEM CERTIFICATE/);
    expect(problems).toMatch(/KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together/);
    expect(problems).toMatch(/KAFKA_SASL_MECHANISM.*must be one of plain, scram-sha-256, scram-sha-512/);
  });
});
