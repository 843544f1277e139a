import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@hookstream/config';
import { Topics } from '@hookstream/contracts';
import { startGroupAtEnd, testBrokers, testDatabaseUrl, testKafka, uniqueName, waitFor } from '@hookstream/testing';
import { EVENT_PRODUCER, KafkaBatchTransport, RethrowRpcFilter, type EventProducer } from '@hookstream/kafka';
import { EndpointHealthModule } from '@hookstream/config-store';
import { DlqRecorderModule } from '@hookstream/dlq-store';
import { FeedProjectionModule } from '@hookstream/feed-store';
import { KAFKA_CLIENT } from '@hookstream/platform';
import type { Consumer, Kafka } from 'kafkajs';
import type { AddressInfo } from 'node:net';
import { AccountsService } from '../src/accounts/accounts.service';
import { AppModule } from '../src/app.module';
import { ControlApiConfig } from '../src/control-api.config';
import { configureHttp } from '../src/http-setup';

export interface TestResponse {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export interface TestApp {
  app: NestFastifyApplication;
  config: ControlApiConfig;
  request(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, opts?: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<TestResponse>;
  /** With `listen: true`: the base URL of the real HTTP server (random port). */
  baseUrl?: string;
  /** A fresh account and its first write key, made the way the CLI makes them. */
  newAccount(name?: string): Promise<{ accountId: string; key: string }>;
  close(): Promise<void>;
}

/** Topics apps/projector's consumer group reads (run beside the API with `consumer: true`). */
export const CONSUMED_TOPICS = [Topics.eventsRaw, Topics.eventsEnriched, Topics.eventsRejected, Topics.eventsDuplicate, Topics.deliveryResults];

/** The projector's settings in tests: apps/projector's defaults. */
export const TEST_FEED_PROJECTION = { FEED_RETENTION_DAYS: 14, FEED_PARTITIONS_AHEAD_DAYS: 3, FEED_MAINTENANCE_INTERVAL_MS: 3_600_000 };
// FEED_RAW_HOLD_MS as apps/projector's default: raw rows wait for their verdict here too.
export const TEST_PROJECTOR = { ...TEST_FEED_PROJECTION, FEED_RAW_HOLD_MS: 1000, ENDPOINT_DISABLE_AFTER_FAILING_DAYS: 5, DLQ_RECORDER_ENABLED: 'true' as const, DLQ_RECORD_RETENTION_DAYS: 90 };

/**
 * `consumer: true` runs apps/projector's modules beside the API, as the two apps together do: the
 * feed projection (libs/feed-store), endpoint health (libs/config-store) and the dead-letter
 * recorder (libs/dlq-store), with the grouped consumer connected the way runApp does (init first,
 * deferred microservice, RethrowRpcFilter) in a unique group starting at the topics' current end.
 * `listen: true` also starts the real HTTP server on a random port (for streaming with fetch()).
 */
export async function startControlApi(env: Record<string, string> = {}, opts: { consumer?: boolean; listen?: boolean } = {}): Promise<TestApp> {
  process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';
  const config = loadConfig(ControlApiConfig, {
    // Tests that need a key of their own pass SECRETS_KEY in `env`.
    HOOKSTREAM_DEV_INSECURE_KEYS: 'true',
    DATABASE_URL: testDatabaseUrl(),
    KAFKA_BROKERS: testBrokers().join(','),
    LOG_LEVEL: 'silent',
    PUBLIC_BASE_URL: 'https://hooks.example.test',
    ...env,
  });
  const root = AppModule.register(config);
  if (opts.consumer) {
    const projector = { ...TEST_PROJECTOR, SECRETS_KEY: config.SECRETS_KEY, KAFKA_GROUP_SUFFIX: config.KAFKA_GROUP_SUFFIX };
    root.imports = [...(root.imports ?? []), FeedProjectionModule.register(projector), EndpointHealthModule.register(projector), DlqRecorderModule.register(projector)];
  }
  const app = await NestFactory.create<NestFastifyApplication>(root, new FastifyAdapter(), { logger: ['error'] });
  // Swagger UI needs @fastify/static, which Jest on Node 20 cannot load; the JSON document is still served.
  configureHttp(app, { swaggerUi: false });
  await app.init();
  if (opts.consumer) {
    const groupId = uniqueName('ctl-feed');
    await startGroupAtEnd(app.get<Kafka>(KAFKA_CLIENT), groupId, CONSUMED_TOPICS);
    const transport = new KafkaBatchTransport({ groupId, kafka: app.get<Kafka>(KAFKA_CLIENT), producer: app.get<EventProducer>(EVENT_PRODUCER) });
    const ms = app.connectMicroservice({ strategy: transport }, { deferInitialization: true });
    (ms as unknown as { setIsInitHookCalled(v: boolean): void }).setIsInitHookCalled(true);
    ms.useGlobalFilters(new RethrowRpcFilter());
    await app.startAllMicroservices();
  }
  let baseUrl: string | undefined;
  if (opts.listen) {
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  } else {
    await app.getHttpAdapter().getInstance().ready();
  }
  return {
    app,
    config,
    baseUrl,
    async request(method, url, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.key) headers['authorization'] = `Bearer ${opts.key}`;
      let payload: string | undefined;
      if (opts.rawBody !== undefined) payload = opts.rawBody;
      else if (opts.body !== undefined) payload = JSON.stringify(opts.body);
      if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      const res = await app.getHttpAdapter().getInstance().inject({ method, url, headers, payload });
      return { statusCode: res.statusCode, headers: res.headers, body: res.body, json: <T>() => JSON.parse(res.body) as T };
    },
    async newAccount(name = uniqueName('acct')) {
      const { account, key } = await app.get(AccountsService).createAccount(name);
      return { accountId: account.id, key };
    },
    close: () => app.close(),
  };
}

export interface ConfigRecord {
  key: string;
  value: Record<string, unknown> | null;
  headers: Record<string, string>;
}

/** Reads the config topic from its current end onwards, so a test sees only what happens after it started. */
export class ConfigTopicReader {
  readonly records: ConfigRecord[] = [];
  private consumer?: Consumer;

  async start(): Promise<void> {
    const kafka = testKafka(uniqueName('ctl-test-reader'));
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(Topics.config);
    await admin.disconnect();
    this.consumer = kafka.consumer({ groupId: uniqueName('ctl-test'), maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: Topics.config, fromBeginning: false });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = (Array.isArray(v) ? v[0] : v).toString();
        this.records.push({ key: message.key?.toString() ?? '', value: message.value ? (JSON.parse(message.value.toString()) as Record<string, unknown>) : null, headers });
      },
    });
    for (const p of ends) this.consumer.seek({ topic: Topics.config, partition: p.partition, offset: p.offset });
  }

  /** The latest record for the key that satisfies the predicate. */
  waitFor(key: string, predicate: (r: ConfigRecord) => boolean = () => true, what = key): Promise<ConfigRecord> {
    return waitFor(() => [...this.records].reverse().find((r) => r.key === key && predicate(r)), { timeoutMs: 20000, what: `config record ${what}` });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
