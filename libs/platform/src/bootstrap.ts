import 'reflect-metadata';
import { Logger as NestLogger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import { parseTrustProxy, type BaseAppConfig } from '@hookstream/config';
import { EVENT_PRODUCER, enableKafkaTracing, KafkaBatchTransport, RethrowRpcFilter, type EventProducer, type KafkaBatchTransportOptions } from '@hookstream/kafka';
import { tracingEnabled } from '@hookstream/telemetry';
import type { Kafka } from 'kafkajs';
import { createServer, type Server } from 'node:http';
import { Logger } from 'nestjs-pino';
import { HealthRegistry } from './health';
import { ConsumerMetrics } from './metrics';
import { KAFKA_CLIENT } from './tokens';
import { errorMessage } from '@hookstream/contracts';

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
export async function createApp(opts: RunAppOptions & { logger?: false; deferConsumer?: boolean }): Promise<NestFastifyApplication> {
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
    const health = app.get(HealthRegistry);
    const transport = new KafkaBatchTransport({
      ...(opts.config.KAFKA_SESSION_TIMEOUT_MS ? { sessionTimeoutMs: opts.config.KAFKA_SESSION_TIMEOUT_MS } : {}),
      ...(opts.config.KAFKA_HEARTBEAT_INTERVAL_MS ? { heartbeatIntervalMs: opts.config.KAFKA_HEARTBEAT_INTERVAL_MS } : {}),
      // Deferred work (delivery's direct attempts) settles after the app's own drain hooks ran: the rest of the shutdown budget.
      deferredDrainMs: Math.max(500, Math.floor(opts.config.SHUTDOWN_TIMEOUT_MS * 0.3)),
      ...opts.consumer,
      groupId,
      observer: new ConsumerMetrics(groupId),
      kafka: app.get<Kafka>(KAFKA_CLIENT),
      producer: app.get<EventProducer>(EVENT_PRODUCER),
      // A message is dead-lettered only if it fails while PostgreSQL and Kafka answer.
      dependenciesHealthy: async () => {
        const r = await health.evaluate({ only: ['postgres', 'kafka'] });
        return { ok: r.ok, detail: Object.entries(r.checks).filter(([, c]) => !c.ok).map(([n, c]) => `${n}: ${c.detail}`).join('; ') || 'ok' };
      },
    });
    // Not ready while a partition is held on a dependency outage; the detail names the dependency.
    health.add({ name: 'consumer', check: () => transport.health() });
    // Deferred so the RPC filter is registered before the listeners are bound (else Nest ignores it).
    // It is the only one: every consumer relies on it, so a PermanentMessageError reaches the
    // transport as itself and is dead-lettered at once instead of retried as "Internal server error".
    const ms = app.connectMicroservice({ strategy: transport }, { deferInitialization: true });
    // The shared container's init hooks already ran in app.init(); don't run them twice.
    (ms as unknown as { setIsInitHookCalled(v: boolean): void }).setIsInitHookCalled(true);
    ms.useGlobalFilters(new RethrowRpcFilter());
    // runApp starts it after the HTTP server listens: joining the group can take a session timeout.
    if (!opts.deferConsumer) await app.startAllMicroservices();
  }
  return app;
}

/**
 * Answers the probes while the app is still connecting (Kafka, PostgreSQL, migrations, caches):
 * `/health/live` 200 at once, so an orchestrator does not kill a process that is only starting;
 * `/health/ready` and everything else 503 with Retry-After. Closed just before the app listens.
 */
async function startBootProbe(host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const live = (req.url ?? '').split('?')[0] === '/health/live';
    res.writeHead(live ? 200 : 503, { 'content-type': 'application/json', connection: 'close', ...(live ? {} : { 'retry-after': '1' }) });
    res.end(JSON.stringify(live ? { status: 'ok' } : { status: 'starting' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/**
 * Shared bootstrap: `createApp`, then graceful shutdown and listen. On SIGTERM the app stops
 * taking work (readiness goes red, HTTP stops accepting, the consumer stops fetching), lets
 * in-flight work finish and commit, flushes the producer, disconnects — and exits anyway after
 * SHUTDOWN_TIMEOUT_MS so a stuck dependency cannot hold a rollout.
 */
export async function runApp(opts: RunAppOptions): Promise<INestApplication> {
  const probe = await startBootProbe(opts.config.HTTP_HOST, opts.config.HTTP_PORT);
  let app: NestFastifyApplication;
  try {
    app = await createApp({ ...opts, deferConsumer: true });
  } finally {
    probe.closeAllConnections();
    await new Promise<void>((r) => probe.close(() => r()));
  }
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
  // Not ready until the consumer has joined its group (the 'consumer' readiness check).
  if (opts.consumer) await app.startAllMicroservices();
  return app;
}

/** For main.ts: print a clear message for config/boot errors and exit non-zero. */
export function exitOnBootError(appName: string): (err: unknown) => never {
  return (err: unknown) => {
    const msg = errorMessage(err);
    process.stderr.write(`${JSON.stringify({ level: 'fatal', app: appName, time: new Date().toISOString(), msg: `failed to start: ${msg}` })}\n`);
    process.exit(1);
  };
}
