import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationShutdown, Provider } from '@nestjs/common';
import { describeKafkaSecurity, type BaseAppConfig } from '@hookstream/config';
import { topicPlan } from '@hookstream/contracts';
import { createDataSource, dbHealth, migrateWithLock, pgPoolOf, DataSource } from '@hookstream/db';
import {
  CoalescingProducer, createKafkaClient, ensureTopics, EVENT_PRODUCER, kafkaConnectionOptions, KafkaHealth, retryKafkaBootStep, topicReplication, verifyKafkaAccess,
  type CoalescingProducerOptions, type EventProducer,
} from '@hookstream/kafka';
import type { Kafka } from 'kafkajs';
import { stopTracing, tracingEnabled } from '@hookstream/telemetry';
import { LoggerModule } from 'nestjs-pino';
import { HealthController, HealthRegistry } from './health';
import { bootLogLine, loggerParams } from './logging';
import { enableDefaultMetrics, MetricsController, registerDbPoolMetrics, registerKafkaRequestMetric, registerProducerMetrics, registerReadinessMetric } from './metrics';
import { APP_CONFIG, APP_NAME, KAFKA_CLIENT } from './tokens';

export interface CoreModuleOptions {
  appName: string;
  config: BaseAppConfig;
  /** Connect to PostgreSQL (and run migrations under the advisory lock when DB_MIGRATE=true). */
  database?: boolean;
  /** Log every HTTP request (off on the ingest hot path). */
  logRequests?: boolean;
  /** Bound on how long a produce may wait for acks=all before failing. */
  producerSendTimeoutMs?: number;
  /** Backlog caps of the producer (bytes queued, sends pending); the library's defaults otherwise. */
  producerBacklog?: Pick<CoalescingProducerOptions, 'maxQueuedBytes' | 'maxPendingSends'>;
}

/** Tears down in the right order once the HTTP server and Kafka consumers have drained. */
@Injectable()
class CoreShutdown implements OnApplicationShutdown {
  private readonly log = new Logger('Shutdown');
  constructor(
    @Inject(EVENT_PRODUCER) private readonly producer: EventProducer,
    private readonly health: HealthRegistry,
    @Inject(DataSource) private readonly ds: DataSource | null,
  ) {}

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.health.shuttingDown = true;
    if (this.producer instanceof CoalescingProducer) await this.producer.disconnect().catch((e: unknown) => this.log.warn(`producer: ${String(e)}`));
    if (this.ds?.isInitialized) await this.ds.destroy().catch((e: unknown) => this.log.warn(`database: ${String(e)}`));
    // Spans still batched in memory are exported before the process goes.
    await stopTracing().catch((e: unknown) => this.log.warn(`tracing: ${String(e)}`));
    this.log.log(`stopped${signal ? ` on ${signal}` : ''}`);
  }
}

@Global()
@Module({})
export class CoreModule {
  static forRoot(opts: CoreModuleOptions): DynamicModule {
    const cfg = opts.config;
    enableDefaultMetrics();
    const providers: Provider[] = [
      { provide: APP_CONFIG, useValue: cfg },
      { provide: APP_NAME, useValue: opts.appName },
      {
        provide: HealthRegistry,
        useFactory: () => {
          const health = new HealthRegistry();
          registerReadinessMetric(health);
          return health;
        },
      },
      {
        provide: KAFKA_CLIENT,
        inject: [HealthRegistry],
        useFactory: async (health: HealthRegistry): Promise<Kafka> => {
          const log = new Logger('kafkajs');
          const kafka = createKafkaClient({
            ...kafkaConnectionOptions(cfg, `hookstream-${opts.appName}`),
            // kafkajs retries what it logs as errors; they are warnings until our own code gives up.
            log: (_level, message, extra) => log.warn({ ...extra, msg: message }),
          });
          // A wrong password, an untrusted certificate or a TLS mismatch stops the boot with one
          // message naming the variables, before anything else talks to Kafka. A cluster that is
          // not there yet (brokers starting or registering, leaders not elected) is waited for:
          // the boot probe keeps answering "not ready" meanwhile.
          // (Written at once: Nest's logger holds its lines until the app is built.)
          await retryKafkaBootStep(async () => {
            const { brokers } = await verifyKafkaAccess(kafka, cfg);
            new Logger('Kafka').log(`connected to ${brokers} broker(s) at ${cfg.KAFKA_BROKERS} (${describeKafkaSecurity(cfg)})`);
            if (cfg.KAFKA_CREATE_TOPICS === 'true') {
              const created = await ensureTopics(kafka, topicPlan(cfg.KAFKA_TOPIC_PARTITIONS), topicReplication(cfg));
              if (created.length) new Logger('Topics').log(`created ${created.length} topic(s)`);
            }
          }, { what: `use Kafka at ${cfg.KAFKA_BROKERS} (connect${cfg.KAFKA_CREATE_TOPICS === 'true' ? ', create the topics' : ''})`, log: bootLogLine(opts.appName, 'Kafka') });
          const kh = new KafkaHealth(kafka);
          health.add({ name: 'kafka', check: () => kh.check() });
          return kafka;
        },
      },
      {
        provide: EVENT_PRODUCER,
        inject: [KAFKA_CLIENT, HealthRegistry],
        useFactory: async (kafka: Kafka, health: HealthRegistry): Promise<EventProducer> => {
          const p = new CoalescingProducer(kafka, { sendTimeoutMs: opts.producerSendTimeoutMs ?? 5000, lingerMs: cfg.KAFKA_PRODUCER_LINGER_MS, ...opts.producerBacklog });
          await retryKafkaBootStep(() => p.connect(), { what: 'connect the producer', log: bootLogLine(opts.appName, 'Producer') });
          registerProducerMetrics(p);
          registerKafkaRequestMetric();
          // A producer that lost its connection for good must not leave the app "ready".
          health.add({ name: 'producer', check: () => p.health() });
          return p;
        },
      },
      {
        provide: DataSource,
        inject: [HealthRegistry],
        useFactory: async (health: HealthRegistry): Promise<DataSource | null> => {
          if (!opts.database) return null;
          const ds = createDataSource({ url: cfg.DATABASE_URL, poolSize: cfg.DB_POOL_SIZE, idleSeconds: cfg.DB_POOL_IDLE_SECONDS, applicationName: `hookstream-${opts.appName}`, preparedStatements: cfg.DB_PREPARED_STATEMENTS === 'true' });
          await ds.initialize();
          registerDbPoolMetrics(pgPoolOf(ds));
          if (cfg.DB_MIGRATE === 'true') await migrateWithLock(ds, (m) => new Logger('Migrations').log(m));
          health.add({ name: 'postgres', check: () => dbHealth(ds) });
          return ds;
        },
      },
      CoreShutdown,
    ];
    return {
      module: CoreModule,
      imports: [LoggerModule.forRoot(loggerParams(opts.appName, cfg.LOG_LEVEL, { logRequests: opts.logRequests, traceIds: tracingEnabled() }))],
      controllers: [HealthController, MetricsController],
      providers,
      exports: [APP_CONFIG, APP_NAME, KAFKA_CLIENT, EVENT_PRODUCER, DataSource, HealthRegistry],
    };
  }
}
