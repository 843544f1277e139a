import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ConfigChange, ConfigStream } from '@hookstream/kafka';
import type { HealthRegistry } from './health';

/** What a ConfigCache needs of the config topic (a ConfigStream; a fake in unit specs). */
export type ConfigFeed = Pick<ConfigStream, 'onChange' | 'start' | 'ready' | 'isReady' | 'stop'>;

/**
 * An app's in-memory view of the compacted config topic (sources, endpoints, automations), so no
 * request or event costs a database read. Each app has one, in `src/config-cache/`: a subclass that
 * says which changes it keeps (`apply`) and how it sums itself up on `/health/ready` (`describe`).
 *
 * This class follows the topic, registers the `config` readiness check, and holds module init
 * until everything on the topic at start has been applied. createApp runs init before any Kafka
 * consumer or HTTP listener starts, so no message or request ever meets a cache still filling
 * (matching against a half-filled cache would silently skip deliveries; a half-filled source list
 * would answer 401 to a valid token).
 */
export abstract class ConfigCache implements OnModuleInit, OnApplicationShutdown {
  protected readonly log = new Logger(this.constructor.name);

  protected constructor(
    private readonly feed: ConfigFeed,
    private readonly health: HealthRegistry,
  ) {
    // Called only once the feed has started, so a subclass's own fields are initialised by then.
    this.feed.onChange((change) => this.apply(change));
  }

  /** One change from the topic (snapshot null = deleted), in topic order per key. */
  protected abstract apply(change: ConfigChange): void;

  /** A short summary for `/health/ready` and the boot log, e.g. "3 source(s)". */
  protected abstract describe(): string;

  async onModuleInit(): Promise<void> {
    this.health.add({ name: 'config', check: async () => ({ ok: this.feed.isReady, detail: this.feed.isReady ? this.describe() : `catching up: ${this.describe()}` }) });
    await this.feed.start();
    await this.feed.ready();
    this.log.log(`config cache ready: ${this.describe()}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.feed.stop();
  }

  /** Resolves once everything on the config topic at start has been applied. */
  ready(): Promise<void> {
    return this.feed.ready();
  }

  get isReady(): boolean {
    return this.feed.isReady;
  }
}
