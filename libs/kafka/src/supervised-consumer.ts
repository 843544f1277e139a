import { errorMessage } from '@hookstream/contracts';
import type { Consumer } from 'kafkajs';
import { isPermanentKafkaBootError, retryKafkaBootStep } from './boot-retry';

export interface SupervisedConsumerOptions {
  /** Names the consumer in logs and readiness: `group hookstream-validator`. */
  label: string;
  /** What the first start waits for, in the boot log: `join consumer group hookstream-validator`. */
  bootWhat: string;
  /** Builds a new kafkajs consumer (called again for every replacement). */
  create: () => Consumer;
  /** Connects, subscribes and runs it (and adds any listener of the caller's own); resolves once it runs. */
  run: (consumer: Consumer) => Promise<void>;
  /** No fetch and no work for this long: not ready, and the consumer is replaced (default 60 s). */
  stallTimeoutMs?: number;
  /** True while the caller works on fetched messages: a long batch is not a stall. */
  busy?: () => boolean;
  logger: { log(message: string): void; warn(message: string): void; error(message: string): void };
}

/**
 * The recovery every Hookstream consumer shares (the transport's consumer groups, control-api's
 * live-stream tail and DLQ recorder): kafkajs restarts its consumer after a retriable crash, but
 * after one it deems non-retriable (`CRASH` with `restart: false`) it stays stopped, and a consumer
 * can also stop fetching without a crash (a rejoin that never finishes). Either way this replaces
 * it — disconnect, a new consumer from `create`, `run` again — with capped backoff until one runs.
 * `health()` is not ok until the consumer has joined its group, while it is being replaced and while
 * it is stalled. The first start waits out a cluster that is still starting (`retryKafkaBootStep`).
 */
export class SupervisedConsumer {
  private consumer?: Consumer;
  private started = false;
  private joined = false;
  private closing = false;
  private restarting = false;
  private lastCrash = '';
  private restartReason = '';
  private progressAt = Date.now();
  private watchdog?: NodeJS.Timeout;
  private readonly stallTimeoutMs: number;
  /** Consumers replaced after a crash or a stall. */
  restarts = 0;

  constructor(private readonly opts: SupervisedConsumerOptions) {
    this.stallTimeoutMs = opts.stallTimeoutMs ?? 60_000;
  }

  /** The running kafkajs consumer, if any. */
  get current(): Consumer | undefined {
    return this.consumer;
  }

  /** True once the consumer has joined its group (and not since been replaced). */
  get isJoined(): boolean {
    return this.joined;
  }

  /** Starts the consumer, waiting (with a log line per wait) while Kafka is not there yet; then watches it. */
  async start(): Promise<void> {
    this.started = true;
    await retryKafkaBootStep(async () => {
      if (this.closing) throw new Error(`consumer of ${this.opts.label} closed while joining`);
      await this.launch();
    }, {
      what: this.opts.bootWhat,
      log: (m) => this.opts.logger.warn(m),
      isPermanent: (err) => this.closing || isPermanentKafkaBootError(err),
      onFailure: async () => {
        const c = this.consumer;
        this.consumer = undefined;
        await c?.disconnect();
      },
    });
    this.watchdog = setInterval(() => this.checkProgress(), Math.min(5000, Math.max(100, this.stallTimeoutMs / 4)));
    this.watchdog.unref();
  }

  /** The caller made progress (a batch finished): the stall clock starts again. */
  progress(): void {
    this.progressAt = Date.now();
  }

  /** Stops fetching (in-flight work finishes, as kafkajs' stop() does) and leaves the group. */
  async stop(): Promise<void> {
    this.closing = true;
    if (this.watchdog) clearInterval(this.watchdog);
    const c = this.consumer;
    this.consumer = undefined;
    this.joined = false;
    if (!c) return;
    await c.stop();
    await c.disconnect();
  }

  health(): { ok: boolean; detail: string } {
    const label = this.opts.label;
    if (this.restarting) return { ok: false, detail: `restarting the consumer of ${label}: ${this.restartReason}` };
    if (!this.joined) return { ok: false, detail: `joining ${label}${this.lastCrash ? ` (after a crash: ${this.lastCrash})` : ''}` };
    const stalled = this.stalledForMs();
    if (stalled > 0) return { ok: false, detail: `${label}: no fetch for ${Math.round(stalled / 1000)} s; restarting the consumer` };
    return { ok: true, detail: `${label} consuming` };
  }

  private async launch(): Promise<void> {
    const consumer = this.opts.create();
    this.consumer = consumer;
    consumer.on(consumer.events.FETCH, () => this.progress());
    consumer.on(consumer.events.REBALANCING, () => this.progress());
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
      this.progress();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      // kafkajs restarts by itself after a retriable crash; after any other it stays stopped.
      this.lastCrash = errorMessage(e.payload.error);
      if (e.payload.restart) {
        this.opts.logger.warn(`consumer of ${this.opts.label} crashed (${this.lastCrash}); kafkajs restarts it`);
        return;
      }
      if (this.consumer === consumer) void this.restart(`crashed without restarting: ${this.lastCrash}`);
    });
    this.progress();
    await this.opts.run(consumer);
  }

  /** Replaces a consumer that stopped: disconnect it, start a new one, with capped backoff until one runs. */
  private async restart(why: string): Promise<void> {
    if (this.restarting || this.closing) return;
    this.restarting = true;
    this.restartReason = why;
    this.joined = false;
    this.opts.logger.error(`consumer of ${this.opts.label} ${why}; restarting it`);
    try {
      for (let attempt = 0; !this.closing; attempt++) {
        const old = this.consumer;
        this.consumer = undefined;
        await old?.disconnect().catch(() => undefined);
        try {
          await this.launch();
          this.restarts++;
          this.opts.logger.log(`consumer of ${this.opts.label} restarted`);
          return;
        } catch (err) {
          const delay = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 10));
          this.opts.logger.error(`restarting the consumer of ${this.opts.label} failed (${errorMessage(err)}); again in ${delay} ms`);
          await new Promise((r) => setTimeout(r, delay).unref());
        }
      }
    } finally {
      this.restarting = false;
    }
  }

  /** Stalled: running, nothing in flight, and neither a fetch nor progress for `stallTimeoutMs`. */
  private stalledForMs(): number {
    if (this.closing || this.restarting || !this.started || this.opts.busy?.() === true) return 0;
    const idle = Date.now() - this.progressAt;
    return idle > this.stallTimeoutMs ? idle : 0;
  }

  private checkProgress(): void {
    const stalled = this.stalledForMs();
    if (stalled > 0) void this.restart(`made no progress (no fetch) for ${Math.round(stalled / 1000)} s${this.lastCrash ? ` after "${this.lastCrash}"` : ''}`);
  }
}
