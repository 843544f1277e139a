import 'reflect-metadata';
import { Logger as NestLogger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import { parseTrustProxy, type BaseAppConfig } from '@hookstream/config';
import { EVENT_PRODUCER, enableKafkaTracing, KafkaBatchTransport, RethrowRpcFilter, type EventProducer, type KafkaBatchTransportOptions } from '@hookstream/kafka';
import { tracingEnabled } from '@hookstream/telemetry';
import type { Kafka } from 'kafkajs';
import { Logger } from 'nestjs-pino';
import { HealthRegistry } from './health';
import { ConsumerMetrics } from './metrics';
import { KAFKA_CLIENT } from './tokens';

export interface RunAppOptions {
  appName: string;
  module: unknown;
  config: BaseAppConfig;
  /** Kafka consumer group for `@EventPattern` handlers; omit for HTTP-only apps. */
  consumer?: Omit<KafkaBatchTransportOptions, 'kafka' | 'producer' | 'observer'>;
  bodyLimitBytes?: number;
  /** false: the app registers its own body parsers in `configure` (the gateway keeps raw bytes). */
  bodyParser?: boolean;
  /** More Fastify server options (timeouts …); bodyLimit and trustProxy come from the fields above and the config. */
  fastify?: Omit<FastifyServerOptions, 'bodyLimit' | 'trustProxy' | 'logger'>;
  /** Hook to register content parsers, static files … before listening. */
  configure?: (app: NestFastifyApplication) => void | Promise<void>;
}

/**
 * Builds an app exactly as it runs — Fastify, pino, module init hooks (migrations, caches caught
 * up), then the Kafka transport with the RPC filter — without listening on a port or touching
 * process signals. `runApp` uses it; integration tests use it to run a real app in-process.
 */
export async function createApp(opts: RunAppOptions & { logger?: false }): Promise<NestFastifyApplication> {
  if (tracingEnabled()) enableKafkaTracing();
  const app = await NestFactory.create<NestFastifyApplication>(
    opts.module as never,
    // X-Forwarded-For is believed only from the proxies TRUST_PROXY names (none by default).
    new FastifyAdapter({ ...opts.fastify, bodyLimit: opts.bodyLimitBytes ?? 1024 * 1024, trustProxy: parseTrustProxy(opts.config.TRUST_PROXY) }),
    // abortOnError false: a failing provider (Kafka refused the login, PostgreSQL unreachable) rejects
    // here, so exitOnBootError prints one fatal line instead of Nest exiting on its own.
    { abortOnError: false, bufferLogs: opts.logger !== false, bodyParser: opts.bodyParser ?? true, ...(opts.logger === false ? { logger: false } : {}) },
  );
  if (opts.logger !== false) app.useLogger(app.get(Logger));
  if (opts.configure) await opts.configure(app);
  // Init first: module hooks run now (migrations, config caches caught up), before any consumer
  // takes a message — a consumer must never match events against a cache that is still filling.
  await app.init();
  if (opts.consumer) {
    const groupId = `${opts.consumer.groupId}${opts.config.KAFKA_GROUP_SUFFIX}`;
    const transport = new KafkaBatchTransport({
      ...opts.consumer,
      groupId,
      observer: new ConsumerMetrics(groupId),
      kafka: app.get<Kafka>(KAFKA_CLIENT),
      producer: app.get<EventProducer>(EVENT_PRODUCER),
    });
    // Deferred so the RPC filter is registered before the listeners are bound (else Nest ignores it).
    const ms = app.connectMicroservice({ strategy: transport }, { deferInitialization: true });
    // The shared container's init hooks already ran in app.init(); don't run them twice.
    (ms as unknown as { setIsInitHookCalled(v: boolean): void }).setIsInitHookCalled(true);
    ms.useGlobalFilters(new RethrowRpcFilter());
    await app.startAllMicroservices();
  }
  return app;
}

/**
 * Shared bootstrap: `createApp`, then graceful shutdown and listen. On SIGTERM the app stops
 * taking work (readiness goes red, HTTP stops accepting, the consumer stops fetching), lets
 * in-flight work finish and commit, flushes the producer, disconnects — and exits anyway after
 * SHUTDOWN_TIMEOUT_MS so a stuck dependency cannot hold a rollout.
 */
export async function runApp(opts: RunAppOptions): Promise<INestApplication> {
  const app = await createApp(opts);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  const log = new NestLogger('Bootstrap');
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      app.get(HealthRegistry).shuttingDown = true;
      log.log(`${sig} received: draining (at most ${opts.config.SHUTDOWN_TIMEOUT_MS} ms)`);
      setTimeout(() => {
        log.error('shutdown timed out; exiting');
        process.exit(1);
      }, opts.config.SHUTDOWN_TIMEOUT_MS).unref();
    });
  }
  await app.listen(opts.config.HTTP_PORT, opts.config.HTTP_HOST);
  log.log(`${opts.appName} listening on ${opts.config.HTTP_HOST}:${opts.config.HTTP_PORT}`);
  return app;
}

/** For main.ts: print a clear message for config/boot errors and exit non-zero. */
export function exitOnBootError(appName: string): (err: unknown) => never {
  return (err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${JSON.stringify({ level: 'fatal', app: appName, time: new Date().toISOString(), msg: `failed to start: ${msg}` })}\n`);
    process.exit(1);
  };
}
