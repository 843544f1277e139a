import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { FEED_TOPICS, feedRowOf, statusRank } from '@hookstream/feed-store';
import { fetchTuning, SupervisedConsumer } from '@hookstream/kafka';
import { APP_CONFIG, APP_NAME, HealthRegistry, KAFKA_CLIENT } from '@hookstream/platform';
import type { Consumer, Kafka } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ControlApiConfig } from '../control-api.config';
import type { EventSummary } from './feed.dto';
import { summaryFromRow } from './feed-view';

export interface FeedListener {
  send(summary: EventSummary): void;
  /** True while the listener's socket has not drained what it was given (write() answered false). */
  congested?(): boolean;
  /** The process is shutting down: end the response. */
  close(): void;
}

/** Event ids whose last streamed status we remember, so a late `received` never follows a verdict. */
const SEEN_CAPACITY = 50_000;

type TopicEnds = { topic: string; offsets: { partition: number; offset: string }[] };

function seekAll(consumer: Consumer, ends: TopicEnds[]): void {
  for (const { topic, offsets } of ends) for (const o of offsets) consumer.seek({ topic, partition: o.partition, offset: o.offset });
}

/**
 * Live feed for SSE. The feed WRITER is a consumer group, so each replica only sees some
 * partitions — an SSE client connected to replica A would miss events replica B consumed. So the
 * stream has its own consumer per process, in a private throwaway group (like ConfigStream) that
 * starts at the end of the feed topics and never commits: every replica sees every event and
 * pushes the ones of its subscribers' accounts. The summary is built from the message itself,
 * so it does not wait for (or depend on) the database write. The consumer recovers like every
 * other (`SupervisedConsumer`): one that crashed for good or stopped fetching is replaced, in a
 * new throwaway group positioned at the end again (the page reloads the list after a gap).
 *
 * While this process has no listener the tail is paused: it stays in its group but fetches nothing
 * (it used to fetch and decode every event of the pipeline for nobody: 1–2 % of the whole
 * pipeline's CPU in the bench). The first listener moves it to the end of the topics and resumes
 * it before its stream opens, so everything published after the client sees the stream is sent.
 */
@Injectable()
export class FeedStreamService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('FeedStream');
  private readonly listeners = new Map<string, Set<FeedListener>>();
  private readonly seen = new Map<string, number>();
  private tail?: SupervisedConsumer;
  /** The tail's current kafkajs consumer (a restart replaces it). */
  private consumer?: Consumer;
  /** Set while the first listener's `resume` positions the tail at the end. */
  private resuming?: Promise<void>;
  private paused = false;
  private listenerCount = 0;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: ControlApiConfig,
    @Inject(APP_NAME) private readonly appName: string,
    private readonly health: HealthRegistry,
  ) {}

  get enabled(): boolean {
    return this.config.FEED_STREAM_ENABLED === 'true';
  }

  /** True while the tail fetches nothing because this process has no listener. */
  get tailPaused(): boolean {
    return this.paused;
  }

  /** True once the tail consumer has joined its group and is positioned at the end of the topics. */
  get isLive(): boolean {
    return this.tail?.isJoined ?? false;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    const tail = new SupervisedConsumer({
      label: 'the feed tail',
      bootWhat: 'tail the feed topics',
      create: () => this.kafka.consumer({ groupId: this.tailGroupId(), allowAutoTopicCreation: false, ...this.fetchSettings() }),
      run: (consumer) => this.runTail(consumer),
      // Paused for want of listeners is not a stall.
      busy: () => this.paused,
      logger: this.log,
    });
    this.tail = tail;
    this.health.add({ name: 'feed-stream', check: async () => {
      const h = tail.health();
      return { ok: h.ok, detail: h.ok ? 'tailing feed topics' : h.detail };
    } });
    // A cluster still starting is waited for (not ready meanwhile), never fatal.
    await tail.start();
  }

  /**
   * The tail reads every record of the feed topics, listener or not. With the broker's default
   * (return as soon as one record arrived) that is about one Fetch per event; held until 256 KiB
   * or FEED_STREAM_FETCH_WAIT_MS, it is a few a second at any load.
   */
  private fetchSettings(): { minBytes: number; maxWaitTimeInMs: number } {
    const wait = this.config.FEED_STREAM_FETCH_WAIT_MS;
    return wait > 0 ? { minBytes: 256 * 1024, maxWaitTimeInMs: wait } : { minBytes: 1, maxWaitTimeInMs: fetchTuning(this.kafka).followerMaxWaitMs };
  }

  /** A private group per consumer: it never commits, and disappears once empty. */
  private tailGroupId(): string {
    return `hookstream-feed-tail-${this.appName}-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  }

  private async runTail(consumer: Consumer): Promise<void> {
    const ends = await this.endOffsets();
    await consumer.connect();
    await consumer.subscribe({ topics: [...FEED_TOPICS], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, message }) => {
        // Nobody watching in this process: don't even parse.
        if (this.listenerCount === 0 || !message.value) return;
        const listeners = this.onMessage(topic, message.value);
        // A fetch hands over up to megabytes at once, in a loop that never lets the event loop turn:
        // the sockets could not flush, and even a fast reader would look slow. So when a listener
        // is waiting for 'drain', let I/O run before the next message.
        if (listeners && [...listeners].some((l) => l.congested?.() === true)) await new Promise<void>((r) => setImmediate(r));
      },
    });
    // Explicit positions, so nothing published after boot is missed while the group forms.
    seekAll(consumer, ends);
    this.consumer = consumer;
    this.paused = false;
    if (this.listenerCount === 0) this.pause();
  }

  /** The end offsets of the feed topics, now. */
  private async endOffsets(): Promise<TopicEnds[]> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await Promise.all(FEED_TOPICS.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) })));
    } finally {
      await admin.disconnect();
    }
  }

  private pause(): void {
    if (!this.consumer || this.paused) return;
    try {
      this.consumer.pause(FEED_TOPICS.map((topic) => ({ topic })));
      this.paused = true;
    } catch (err) {
      // A consumer being replaced: its successor starts paused when nobody listens.
      this.log.debug({ err, msg: 'could not pause the feed tail' });
    }
  }

  /** The first listener: from the end of the topics as they are now (not from where the tail paused), fetching again. */
  private resume(): Promise<void> {
    this.resuming ??= (async () => {
      const consumer = this.consumer;
      if (!consumer || !this.paused) return;
      try {
        seekAll(consumer, await this.endOffsets());
        consumer.resume(FEED_TOPICS.map((topic) => ({ topic })));
        this.paused = false;
      } catch (err) {
        // Kafka unreachable or the consumer being replaced: its successor starts at the end, unpaused
        // while anyone listens; the stream opens meanwhile (and reports not ready until then).
        this.log.warn({ err, msg: 'could not resume the feed tail; it resumes when the consumer is back' });
      }
    })().finally(() => {
      this.resuming = undefined;
    });
    return this.resuming;
  }

  async onModuleDestroy(): Promise<void> {
    for (const set of this.listeners.values()) for (const l of set) l.close();
    this.listeners.clear();
    this.listenerCount = 0;
    // No offsets are committed: the private group disappears once empty.
    await this.tail?.stop();
  }

  /** Open streams of an account in this process. */
  connections(accountId: string): number {
    return this.listeners.get(accountId)?.size ?? 0;
  }

  /** Streams dropped because their reader did not keep up, since boot. */
  droppedSlowReaders = 0;

  /**
   * Registers a listener for an account's feed; returns the unsubscribe function, or undefined
   * when the account already holds FEED_STREAM_MAX_PER_ACCOUNT streams here.
   */
  async subscribe(accountId: string, listener: FeedListener): Promise<(() => void) | undefined> {
    if (this.connections(accountId) >= this.config.FEED_STREAM_MAX_PER_ACCOUNT) return undefined;
    const set = this.listeners.get(accountId) ?? new Set<FeedListener>();
    set.add(listener);
    this.listeners.set(accountId, set);
    this.listenerCount++;
    let done = false;
    const unsubscribe = (): void => {
      if (done) return;
      done = true;
      set.delete(listener);
      this.listenerCount--;
      if (set.size === 0) this.listeners.delete(accountId);
      if (this.listenerCount === 0 && !this.resuming) this.pause();
    };
    await this.resume();
    // The last listener left while the tail was being resumed.
    if (this.listenerCount === 0) this.pause();
    return unsubscribe;
  }

  /** Sends the message to the listeners of its account; returns them (undefined if none got it). */
  private onMessage(topic: string, value: Buffer): Set<FeedListener> | undefined {
    let row;
    try {
      row = feedRowOf(topic, JSON.parse(value.toString('utf8')));
    } catch {
      return undefined; // the writer dead-letters it; the stream just doesn't show it
    }
    const set = this.listeners.get(row.accountId);
    if (!set) return undefined;
    const rank = statusRank(row.status);
    const before = this.seen.get(row.id);
    if (before !== undefined && before > rank) return undefined;
    this.seen.delete(row.id);
    this.seen.set(row.id, rank);
    if (this.seen.size > SEEN_CAPACITY) this.seen.delete(this.seen.keys().next().value as string);
    const summary = summaryFromRow(row);
    for (const l of set) {
      try {
        l.send(summary);
      } catch (err) {
        this.log.warn({ err, msg: 'SSE write failed; the connection closes itself' });
      }
    }
    return set;
  }
}
