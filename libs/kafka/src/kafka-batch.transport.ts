import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { classifyFailure, DLQ_HEADERS, dlqOf, errorMessage, type EventEnvelope, type FailureClass } from '@hookstream/contracts';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import { CommitCoalescer, PartitionCommits } from './commit-coalescer';
import { asDeferred, PartitionTrail, type DeferredCommit } from './deferred-commits';
import type { ConsumerObserver } from './consumer-observer';
import { PermanentMessageError } from './errors';
import type { EventProducer } from './event-producer';
import { fetchTuning } from './kafka-connection';
import { KafkaBatchContext } from './kafka-context';
import { endConsumerSpans, inConsumerSpan, kafkaTracingEnabled, startConsumerSpans } from './kafka-tracing';
import { decodeEnvelope, headersToStrings, RawJson, type InboundMessage } from './messages';
import { PartitionMerger } from './partition-merger';
import { isReplayForAnotherGroup } from './replay';
import { SupervisedConsumer } from './supervised-consumer';

export interface KafkaBatchTransportOptions {
  kafka: Kafka;
  groupId: string;
  /** Used for dead-letter writes; its sends are awaited before the offset is committed. */
  producer: EventProducer;
  /** Attempts per message (or per batch) before it goes to `<topic>.dlq`. */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  partitionsConsumedConcurrently?: number;
  /** Handlers declared with `{ batch: true }` receive at most this many messages per call. */
  maxBatchSize?: number;
  sessionTimeoutMs?: number;
  /** How long the coordinator waits for members to rejoin during a rebalance. */
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /**
   * A consumer that neither fetches nor works on a batch for this long has stopped (kafkajs stays
   * stopped after some crashes, or never finishes rejoining): it is reported not ready and replaced.
   */
  stallTimeoutMs?: number;
  fromBeginning?: boolean;
  /**
   * After a batch of fewer than `fetchLingerBelow` records (the partition had little waiting), return
   * to kafkajs no sooner than this long after the batch started, so its next fetch brings what
   * arrived meanwhile (a batch that took longer returns at once): fewer
   * Fetch, OffsetCommit and Produce requests per record at moderate load, for at most this much added
   * latency. The batch itself is handled and committed first. Default: the client's
   * `KAFKA_FETCH_LINGER_MS` (`fetchTuning`); 0 = none.
   */
  fetchLingerMs?: number;
  /** Batches of at least this many records never linger (default 100). */
  fetchLingerBelow?: number;
  /**
   * Least time between two OffsetCommit requests of the consumer. Above 0, every handler's commits
   * go through the partition trail (as `deferCommit` handlers' do): a batch returns to kafkajs once
   * handled, and its commit goes out with the others of the interval. Default: the client's
   * `KAFKA_COMMIT_INTERVAL_MS` (`fetchTuning`); 0 = each batch waits for its commit.
   */
  commitIntervalMs?: number;
  /**
   * Batch handlers receive one call for the chunks of all partitions of a topic that start within
   * one event-loop turn (kafkajs starts the partitions of a fetch together), up to `maxBatchSize`
   * messages; each partition commits after that call succeeded, and a failed call is handled again
   * per partition. Default: the client's `KAFKA_MERGE_PARTITIONS` (`fetchTuning`). A handler can
   * opt out with `{ mergePartitions: false }`.
   */
  mergePartitions?: boolean;
  /** Metrics hooks (lag, batch size and duration, errors, redeliveries, DLQ writes). */
  observer?: ConsumerObserver;
  /**
   * With an observer: every this many ms, the committed offsets of the group and the high
   * watermarks of its topics are read with an admin client, and the lag of each partition this
   * member is assigned is reported — so lag grows while a handler is stuck mid-batch. 0: off.
   */
  lagSampleIntervalMs?: number;
  /**
   * Backoff while a dependency is down (a transient error, see `classifyFailure`): the batch is
   * held and retried without limit, from `transientRetryBaseMs` doubling up to `transientRetryMaxMs`.
   */
  transientRetryBaseMs?: number;
  transientRetryMaxMs?: number;
  /**
   * Asked before a message is dead-lettered: a message is the culprit only if it fails while the
   * infrastructure is healthy. When this answers not ok, the message is held like a transient error.
   */
  dependenciesHealthy?: () => Promise<{ ok: boolean; detail: string }>;
  /**
   * Topics this group consumes only if it has consumed them before: each time a consumer starts,
   * the group's committed offsets on these topics are read, and a topic with none on any partition
   * is left out of the subscription (its handler stays registered, unused). For a topic kept only
   * to finish what an older version left there: an installation that never consumed it never pays
   * for it (a fetch, decode and commit per record), one that did goes on as before.
   */
  consumeOnlyIfCommitted?: readonly string[];
  /**
   * For handlers declared with `{ deferCommit: true }`: at most this many messages (per consumer)
   * may be taken in and not yet committed; past it a batch waits, heartbeating, before it returns
   * to kafkajs for the next fetch. Default 10,000.
   */
  deferredLimit?: number;
  /** How long `close()` waits for deferred work to settle and commit before the consumer leaves the group (default 10 s). */
  deferredDrainMs?: number;
}

/** What the transport is waiting for while it holds a partition. */
export interface BlockedPartition {
  topic: string;
  partition: number;
  dependency: string;
  reason: string;
  since: Date;
}

/** Extras of `@EventPattern(topic, { batch: true })`: the handler receives `InboundMessage[]`. */
export interface KafkaHandlerExtras {
  batch?: boolean;
  /**
   * Records carrying this header with this value are committed past unread: never decoded, never
   * handed to the handler (e.g. automation's own planned contact events, `hookstream_planned:
   * automation`). Decided on the raw header bytes, before the value is parsed.
   */
  skipHeader?: { name: string; value: string; counted?: (records: number) => void };
  /**
   * false: every call holds one partition's messages (`ctx.getPartition()` answers). Default true:
   * a call may hold the messages of several partitions of the topic, each in offset order.
   */
  mergePartitions?: boolean;
  /**
   * The handler may return a `DeferredCommit`: its messages are taken in, but their work goes on
   * after it returned. The partition fetches on at once; its offsets are committed in order, each
   * only once the work of every message below it settled (see `PartitionTrail`). Work that fails
   * (the `settled` promise rejects) is read again: the partition is sought back to its first message.
   */
  deferCommit?: boolean;
}

/** The running consumer's partitions with deferred work, their latest high watermarks, and its latest way to commit. */
interface DeferredState {
  consumer: object;
  trails: Map<string, PartitionTrail>;
  hwms: Map<string, number>;
  commit?: EachBatchPayload['commitOffsetsIfNecessary'];
}

/** A handler and its extras, looked up once per topic. */
interface Route {
  handler: Handler;
  batch: boolean;
  merge: boolean;
  defer: boolean;
  extras?: KafkaHandlerExtras;
  skip?: (m: KafkaMessage) => boolean;
}

type Handler = (data: unknown, ctx: KafkaBatchContext) => Promise<unknown>;

/** Re-exported: the DLQ headers are part of the published contract (@hookstream/contracts). */
export { DLQ_HEADERS };

/** One batch being worked on: where it is from, and whether this member still owns it. */
interface BatchScope {
  topic: string;
  partition: number;
  heartbeat: () => Promise<void>;
  /** false once the consumer stops or the partition was revoked: give the batch up, commit nothing. */
  active: () => boolean;
}

/** The batch was given up (shutdown, rebalance): nothing after this point is committed. */
class BatchAbandoned extends Error {
  override readonly name = 'BatchAbandoned';
}

/** A batch held this long by unsettled deferred work says so in the log. */
const DEFERRED_STUCK_MS = 30_000;

/** Heartbeat answers that mean this member no longer owns its partitions as they were. */
const GROUP_CHANGED = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

function isGroupChange(err: unknown): boolean {
  return typeof err === 'object' && err !== null && GROUP_CHANGED.has(String((err as { type?: unknown }).type));
}

/**
 * NestJS transport over kafkajs consumer groups, built for at-least-once with exactly-once effects:
 *
 * - batches (`eachBatch`), partitions processed concurrently, heartbeats between messages and
 *   on a timer while a handler runs;
 * - an offset is committed only after its handler resolved — and handlers await everything they
 *   produce or write — so a crash redelivers, never loses;
 * - a transient infrastructure error (PostgreSQL or Kafka unreachable, see `classifyFailure`) holds
 *   the partition: the same message is retried with capped backoff, without limit, no offset is
 *   committed, and `health()` reports the blocked dependency until it recovers;
 * - a message that fails on its own is retried `maxAttempts` times with exponential backoff, then —
 *   if the dependencies are healthy — written to `<topic>.dlq` with its error, attempt count and
 *   consumer group, and the partition moves on;
 * - batch handlers that fail are retried whole, then split so only the poison message goes to the DLQ.
 */
export class KafkaBatchTransport extends Server implements CustomTransportStrategy {
  private supervisor?: SupervisedConsumer;
  private readonly opts: Required<Omit<KafkaBatchTransportOptions, 'kafka' | 'producer' | 'observer' | 'dependenciesHealthy'>> &
    Pick<KafkaBatchTransportOptions, 'kafka' | 'producer' | 'observer' | 'dependenciesHealthy'>;
  protected override readonly logger = new Logger('KafkaBatchTransport');
  private inFlight = 0;
  private closing = false;
  private readonly blocked = new Map<string, BlockedPartition>();
  private lagTimer?: NodeJS.Timeout;
  private lagAdmin?: Promise<Admin>;
  private sampling = false;
  private lagSampleFailing = false;
  private subscribedTopics: string[] = [];
  /** The topics the running consumer subscribed to (`topics()` less those `consumeOnlyIfCommitted` left out). */
  get subscribed(): readonly string[] {
    return this.subscribedTopics;
  }
  /** This member's partitions per topic, from the last group join. */
  private assignment = new Map<string, number[]>();
  /** Offset commits of concurrently handled partitions, sent together. */
  readonly commits: CommitCoalescer;
  /** Merged handler calls, per consumer (the partitions of one consumer's fetches). */
  private readonly mergers = new WeakMap<object, PartitionMerger<InboundMessage>>();
  private readonly routes = new Map<string, Route>();
  /** The running consumer's partitions with deferred work (`deferCommit`), and its latest way to commit. */
  private deferred?: DeferredState;
  /** Calls that held two or more partitions, and their partitions (for tests and benchmarks). */
  readonly merges = { calls: 0, partitions: 0, failed: 0 };
  /** Records committed past unread (replays for another group, `skipHeader` matches). */
  skipped = 0;
  /** Batches after which the transport lingered before the next fetch (for tests). */
  lingers = 0;
  /** Consumers replaced after a crash or a stall (for tests and metrics). */
  get restarts(): number {
    return this.supervisor?.restarts ?? 0;
  }

  constructor(options: KafkaBatchTransportOptions) {
    super();
    this.opts = {
      maxAttempts: 3,
      retryBaseMs: 100,
      retryMaxMs: 2000,
      partitionsConsumedConcurrently: 6,
      maxBatchSize: 500,
      sessionTimeoutMs: 30000,
      heartbeatIntervalMs: 3000,
      rebalanceTimeoutMs: 60000,
      stallTimeoutMs: 60000,
      fromBeginning: true,
      lagSampleIntervalMs: 10_000,
      transientRetryBaseMs: 250,
      transientRetryMaxMs: 5000,
      fetchLingerMs: fetchTuning(options.kafka).lingerMs,
      fetchLingerBelow: 100,
      mergePartitions: fetchTuning(options.kafka).mergePartitions,
      consumeOnlyIfCommitted: [],
      deferredLimit: 10_000,
      deferredDrainMs: 10_000,
      commitIntervalMs: fetchTuning(options.kafka).commitIntervalMs,
      ...options,
    };
    this.commits = new CommitCoalescer(this.opts.commitIntervalMs);
  }

  /** Topics with a registered handler; every subscribed topic must have exactly one. */
  topics(): string[] {
    return [...this.messageHandlers.keys()];
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      const topics = this.topics();
      if (topics.length === 0) throw new Error('KafkaBatchTransport: no @EventPattern handlers registered');
      for (const t of topics) {
        if ((this.messageHandlers.get(t) as { next?: unknown }).next) {
          throw new Error(`KafkaBatchTransport: topic ${t} has more than one @EventPattern handler; exactly one is allowed`);
        }
      }
      const supervisor = new SupervisedConsumer({
        label: `group ${this.opts.groupId}`,
        bootWhat: `join consumer group ${this.opts.groupId}`,
        create: () => this.opts.kafka.consumer({
          groupId: this.opts.groupId,
          sessionTimeout: this.opts.sessionTimeoutMs,
          rebalanceTimeout: this.opts.rebalanceTimeoutMs,
          heartbeatInterval: this.opts.heartbeatIntervalMs,
          allowAutoTopicCreation: false,
          maxWaitTimeInMs: 500,
          retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000 },
        }),
        run: (consumer) => this.runConsumer(consumer, topics),
        stallTimeoutMs: this.opts.stallTimeoutMs,
        busy: () => this.inFlight > 0,
        logger: this.logger,
      });
      this.supervisor = supervisor;
      // Before the consumer joins: the join takes the first sample (see GROUP_JOIN).
      if (this.opts.observer && this.opts.lagSampleIntervalMs > 0) {
        this.lagTimer = setInterval(() => void this.sampleLag(), this.opts.lagSampleIntervalMs);
        this.lagTimer.unref();
      }
      // A cluster still starting (coordinator loading, brokers registering) is waited for, not fatal.
      await supervisor.start();
      const left = topics.filter((t) => !this.subscribed.includes(t));
      this.logger.log(
        `consuming ${this.subscribed.join(', ')} as group ${this.opts.groupId}` +
          (left.length > 0 ? `; not ${left.join(', ')}: this group never committed an offset there (nothing an older version left to handle)` : ''),
      );
      callback();
    } catch (err) {
      if (this.lagTimer) clearInterval(this.lagTimer);
      callback(err);
    }
  }

  /** Connects, subscribes and runs a consumer the supervisor built; resolves once it has joined the group (kafkajs' run()). */
  private async runConsumer(consumer: Consumer, topics: string[]): Promise<void> {
    // A new consumer starts from the committed offsets: what an earlier one left deferred is read again.
    this.dropDeferred('consumer replaced');
    this.deferred = { consumer, trails: new Map(), hwms: new Map() };
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.assignment = new Map(Object.entries(e.payload.memberAssignment));
      // After a rejoin kafkajs reads on from the committed offsets: work still deferred is read again.
      if (this.deferred?.consumer === consumer) this.dropDeferred('group rebalanced');
      this.opts.observer?.assigned(this.assignment);
      // A first sample at once: every assigned partition has a lag series from the join on.
      if (this.lagTimer) void this.sampleLag();
    });
    await consumer.connect();
    this.subscribedTopics = await this.topicsToSubscribe(topics);
    await consumer.subscribe({ topics: this.subscribedTopics, fromBeginning: this.opts.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.onBatch(payload, consumer),
    });
  }

  /** `topics` without those of `consumeOnlyIfCommitted` on which the group has no committed offset. */
  private async topicsToSubscribe(topics: string[]): Promise<string[]> {
    const optional = topics.filter((t) => this.opts.consumeOnlyIfCommitted.includes(t));
    if (optional.length === 0) return topics;
    const admin = this.opts.kafka.admin();
    await admin.connect();
    try {
      const committed = await admin.fetchOffsets({ groupId: this.opts.groupId, topics: optional });
      const used = new Set(committed.filter((t) => t.partitions.some((p) => Number(p.offset) >= 0)).map((t) => t.topic));
      return topics.filter((t) => !optional.includes(t) || used.has(t));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * One lag sample: the group's committed offsets and the topics' high watermarks, for the
   * partitions this member holds. A partition without a committed offset counts from where the
   * group starts (the log start with `fromBeginning`, else the end). Failures are skipped: the
   * next tick tries again, and readiness reports a broker outage on its own.
   */
  async sampleLag(): Promise<void> {
    const obs = this.opts.observer;
    if (!obs || this.sampling || this.closing || !this.supervisor?.isJoined || this.assignment.size === 0) return;
    this.sampling = true;
    try {
      this.lagAdmin ??= (async () => {
        const a = this.opts.kafka.admin();
        await a.connect();
        return a;
      })().catch((err: unknown) => {
        this.lagAdmin = undefined;
        throw err;
      });
      const admin = await this.lagAdmin;
      const topics = [...this.assignment.keys()];
      const [committed, ends] = await Promise.all([
        admin.fetchOffsets({ groupId: this.opts.groupId, topics }),
        Promise.all(topics.map(async (t) => [t, await admin.fetchTopicOffsets(t)] as const)),
      ]);
      const commits = new Map(committed.flatMap((t) => t.partitions.map((p) => [`${t.topic}\u0000${p.partition}`, Number(p.offset)] as const)));
      for (const [topic, offsets] of ends) {
        const mine = new Set(this.assignment.get(topic));
        for (const o of offsets) {
          if (!mine.has(o.partition)) continue;
          const c = commits.get(`${topic}\u0000${o.partition}`) ?? -1;
          const from = c >= 0 ? c : this.opts.fromBeginning ? Number(o.low) : Number(o.high);
          obs.lagSampled(topic, o.partition, Math.max(0, Number(o.high) - from));
        }
      }
      this.lagSampleFailing = false;
    } catch (err) {
      // Once per failing streak: a broker outage is reported by readiness already.
      if (!this.lagSampleFailing) this.logger.warn(`lag sample of group ${this.opts.groupId} failed (${errorMessage(err)}); trying again every ${this.opts.lagSampleIntervalMs} ms`);
      this.lagSampleFailing = true;
    } finally {
      this.sampling = false;
    }
  }

  /** Stops fetching, lets the in-flight batches finish and commit (deferred work: up to `deferredDrainMs`), then leaves the group. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.lagTimer) clearInterval(this.lagTimer);
    const admin = this.lagAdmin;
    this.lagAdmin = undefined;
    if (admin) await admin.then((a) => a.disconnect()).catch(() => undefined);
    const trails = [...(this.deferred?.trails.values() ?? [])];
    if (this.deferred) this.commits.hurry(this.deferred.consumer);
    if (trails.length > 0) {
      // Fetch nothing more while the deferred work settles (the batches in hand finish).
      try {
        this.supervisor?.current?.pause(this.subscribedTopics.map((topic) => ({ topic })));
      } catch {
        // Not running (any more): nothing is fetched anyway.
      }
      const idle = await Promise.all(trails.map((t) => t.whenIdle(this.opts.deferredDrainMs)));
      const left = trails.reduce((n, t) => n + t.pending, 0);
      if (idle.includes(false)) this.logger.warn(`${left} message(s) of deferred work not committed after ${this.opts.deferredDrainMs} ms; they are read again by the next owner of their partitions`);
    }
    await this.supervisor?.stop();
    this.dropDeferred('consumer stopped');
  }

  /** Messages taken in by deferring handlers and not yet committed (this consumer). */
  get deferredPending(): number {
    let n = 0;
    for (const t of this.deferred?.trails.values() ?? []) n += t.pending;
    return n;
  }

  private dropDeferred(why: string): void {
    const d = this.deferred;
    if (!d) return;
    let dropped = 0;
    for (const t of d.trails.values()) dropped += t.reset();
    d.trails.clear();
    if (dropped > 0) this.logger.warn(`${why}: ${dropped} message(s) taken in (handled, or deferred work) were not committed yet; they are read again from the committed offsets`);
  }

  /** The trail of a partition whose handler defers its commits (this consumer's). */
  private trail(consumer: Consumer, topic: string, partition: number, commit: EachBatchPayload['commitOffsetsIfNecessary'], hwm: number): PartitionTrail {
    let d = this.deferred;
    if (!d || d.consumer !== consumer) d = this.deferred = { consumer, trails: new Map(), hwms: new Map() };
    d.commit = commit;
    const key = `${topic}\u0000${partition}`;
    d.hwms.set(key, hwm);
    let t = d.trails.get(key);
    if (t) return t;
    const state = d;
    t = new PartitionTrail({
      commit: (next) => {
        const commit = state.commit;
        if (!commit) return Promise.reject(new Error('no batch of this consumer to commit through yet'));
        return this.commits.commit(consumer, commit, topic, partition, next);
      },
      committed: (count, next) => this.opts.observer?.committed(topic, partition, count, Math.max(0, (state.hwms.get(key) ?? 0) - Number(next))),
      retryable: (err) => !isGroupChange(err),
      failed: (first, dropped, err) => {
        this.logger.warn(`${topic}[${partition}]: deferred work from offset ${first} failed (${errorMessage(err)}); reading the partition again from there (${dropped} message(s))`);
        this.opts.observer?.redelivered(topic, dropped);
        try {
          consumer.seek({ topic, partition, offset: first });
        } catch (seekErr) {
          // Not assigned any more: its next owner reads on from the committed offset, which is below `first`.
          this.logger.warn(`${topic}[${partition}]: could not seek back to ${first} (${errorMessage(seekErr)})`);
        }
      },
    });
    d.trails.set(key, t);
    return t;
  }

  /** Waits (heartbeating) while more deferred work is pending than `deferredLimit`; says so when that lasts. */
  private async deferredRoom(scope: BatchScope): Promise<void> {
    const since = Date.now();
    let warned = false;
    while (this.deferredPending > this.opts.deferredLimit && scope.active()) {
      if (!warned && Date.now() - since >= DEFERRED_STUCK_MS) {
        warned = true;
        this.logger.warn(
          `${scope.topic}[${scope.partition}] waiting ${DEFERRED_STUCK_MS / 1000} s for deferred work: ${this.deferredPending} message(s) taken in and not settled ` +
            `(deferredLimit ${this.opts.deferredLimit}); the handler's work is not finishing — check what it waits for (its dependencies, its logs)`,
        );
      }
      await this.sleep(20, scope);
    }
  }

  get busy(): number {
    return this.inFlight;
  }

  /** Partitions held because a dependency is down. */
  blockedPartitions(): BlockedPartition[] {
    return [...this.blocked.values()];
  }

  /** Readiness: not ok while any partition is held on a transient error; the detail names the dependency. */
  async health(): Promise<{ ok: boolean; detail: string }> {
    const held = this.blockedPartitions();
    if (held.length === 0) {
      return this.supervisor?.health() ?? { ok: false, detail: `joining group ${this.opts.groupId}` };
    }
    const first = held.reduce((a, b) => (a.since <= b.since ? a : b));
    let deps = [...new Set(held.map((b) => b.dependency))].join(', ');
    // A refused socket does not say whose it was: name the dependency whose own check fails.
    if (held.some((b) => b.dependency === 'network')) {
      const d = await this.dependencies();
      if (!d.ok) deps = d.detail;
    }
    return {
      ok: false,
      detail: `blocked on ${deps}: ${held.length} partition(s) held since ${first.since.toISOString()}, retrying (${first.reason})`,
    };
  }

  on(): never {
    throw new Error('KafkaBatchTransport does not emit events');
  }

  unwrap<T>(): T {
    return this.supervisor?.current as T;
  }

  private async onBatch(payload: EachBatchPayload, consumer: Consumer): Promise<void> {
    const { batch, heartbeat, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const route = this.route(batch.topic);
    const { handler, batch: batchMode, extras, skip } = route;
    const merger = route.merge ? this.merger(consumer) : undefined;
    const scope: BatchScope = {
      topic: batch.topic,
      partition: batch.partition,
      heartbeat,
      active: () => !this.closing && isRunning() && !isStale(),
    };
    this.inFlight++;
    const obs = this.opts.observer;
    const t0 = obs ? performance.now() : 0;
    const started = Date.now();
    const hwm = Number(batch.highWatermark);
    obs?.batchStarted(batch.topic, batch.partition, batch.messages.length, hwm - Number(batch.firstOffset() ?? batch.highWatermark));
    const timer = setInterval(() => void heartbeat().catch(() => undefined), this.opts.heartbeatIntervalMs);
    const commits = new PartitionCommits(
      (next) => this.commits.commit(consumer, commitOffsetsIfNecessary, batch.topic, batch.partition, next),
      (count, next) => obs?.committed(batch.topic, batch.partition, count, Math.max(0, hwm - Number(next))),
    );
    // Waits for the newest commit of this batch; a transient failure is retried (the newest offset covers every earlier one).
    const settle = () => this.retryTransient(scope, () => commits.settle());
    const trail = route.defer || this.opts.commitIntervalMs > 0 ? this.trail(consumer, batch.topic, batch.partition, commitOffsetsIfNecessary, hwm) : undefined;
    try {
      const size = batchMode ? this.opts.maxBatchSize : 1;
      for (let i = 0; i < batch.messages.length; i += size) {
        if (!isRunning() || isStale() || this.closing) break;
        // A commit that failed (Kafka down, group rebalancing) is dealt with before the next message.
        if (commits.failed) await settle();
        const chunk = batch.messages.slice(i, i + size);
        // A DLQ replay addressed to another group, or a record the handler skips by header, is committed past unread.
        const mine = chunk.filter((m) => !isReplayForAnotherGroup(m, this.opts.groupId) && !skip?.(m));
        if (mine.length < chunk.length) {
          this.skipped += chunk.length - mine.length;
          if (skip) extras?.skipHeader?.counted?.(chunk.filter(skip).length);
        }
        let deferrals: DeferredCommit[] = [];
        if (mine.length === 0) {
          // nothing of ours in this chunk
        } else if (batchMode) deferrals = await this.runBatch(handler, scope, mine, merger);
        else deferrals = await this.runOne(handler, scope, mine[0]);
        // Handled; a partition this member no longer owns (revoked, or sought elsewhere meanwhile) commits nothing.
        if (isStale() || !this.owns(scope)) throw new BatchAbandoned(`${scope.topic}[${scope.partition}] no longer assigned to this member`);
        const last = chunk[chunk.length - 1].offset;
        resolveOffset(last);
        if (trail) {
          // Committed in offset order once its work (and all below it) settled; the next chunk goes on now.
          const settled = deferrals.length === 0 ? undefined : deferrals.length === 1 ? deferrals[0].settled : Promise.all(deferrals.map((d) => d.settled));
          trail.add(chunk[0].offset, nextOffset(last), chunk.length, settled);
          await heartbeat();
          continue;
        }
        // Through the batch payload, not consumer.commitOffsets(): kafkajs silently drops the latter
        // once stop() has begun, so the batches a graceful shutdown waits for would never commit.
        // Sent now, sharing one OffsetCommit request with the other partitions of this consumer
        // committing now; not awaited here: the next message's handler runs during the round trip,
        // and the commits asked for meanwhile go out together as the next request.
        commits.issue(nextOffset(last), chunk.length);
        await heartbeat();
      }
      if (trail) await this.deferredRoom(scope);
      else await settle();
      await this.linger(batch.messages.length, started, scope);
    } catch (err) {
      // Given up while held (shutdown, revoked partition): the uncommitted rest is redelivered.
      if (!(err instanceof BatchAbandoned)) {
        // Let a commit already on the wire land before kafkajs handles the error (bounded by its request timeout).
        await commits.drain();
        throw err;
      }
    } finally {
      obs?.batchFinished(batch.topic, batch.partition, (performance.now() - t0) / 1000);
      clearInterval(timer);
      this.blocked.delete(`${scope.topic}[${scope.partition}]`);
      this.inFlight--;
      this.supervisor?.progress();
    }
  }

  /**
   * Fetch linger: after a small batch (committed already), hold off kafkajs's next fetch from this
   * broker until `fetchLingerMs` after the batch started, so that it brings more records. A batch
   * that took that long already waits no more (records gathered meanwhile). Cut short by a
   * shutdown or rebalance.
   */
  private async linger(records: number, started: number, scope: BatchScope): Promise<void> {
    const ms = this.opts.fetchLingerMs;
    if (ms <= 0 || records >= this.opts.fetchLingerBelow || !scope.active()) return;
    const end = started + ms;
    if (Date.now() >= end) return;
    this.lingers++;
    for (let left = end - Date.now(); left > 0 && scope.active(); left = end - Date.now()) {
      await new Promise((r) => setTimeout(r, Math.min(left, 50)));
    }
  }

  /** Handles one message; answers the deferral its handler returned, if any. */
  private async runOne(handler: Handler, scope: BatchScope, m: KafkaMessage): Promise<DeferredCommit[]> {
    const { topic, partition, heartbeat } = scope;
    let decoded: InboundMessage;
    try {
      decoded = decode(topic, partition, m);
    } catch (err) {
      await this.deadLetter(scope, m, err, 1);
      return [];
    }
    const deferrals: DeferredCommit[] = [];
    await this.withRetries(
      async (attempt) => collect(deferrals, await this.invoke(handler, decoded, new KafkaBatchContext([topic, [partition], attempt, heartbeat]))),
      async (err, attempts) => this.deadLetter(scope, m, err, attempts),
      scope,
    );
    return deferrals;
  }

  /** The handler of `topic` and its extras (Nest's pattern lookup parses the pattern on every call). */
  private route(topic: string): Route {
    let r = this.routes.get(topic);
    if (r) return r;
    const handler = this.getHandlerByPattern(topic) as Handler | null;
    if (!handler) throw new Error(`no handler for topic ${topic}`);
    const extras = (handler as { extras?: KafkaHandlerExtras }).extras;
    const batch = extras?.batch === true;
    r = {
      handler,
      batch,
      merge: batch && this.opts.mergePartitions && extras?.mergePartitions !== false,
      defer: extras?.deferCommit === true,
      extras,
      skip: extras?.skipHeader ? headerIs(extras.skipHeader.name, Buffer.from(extras.skipHeader.value)) : undefined,
    };
    this.routes.set(topic, r);
    return r;
  }

  private merger(consumer: object): PartitionMerger<InboundMessage> {
    let m = this.mergers.get(consumer);
    if (!m) {
      m = new PartitionMerger<InboundMessage>(this.opts.maxBatchSize);
      this.mergers.set(consumer, m);
    }
    return m;
  }

  /** Whether this member still holds the partition (as of its last group join; unknown before one counts as held). */
  private owns(scope: BatchScope): boolean {
    if (this.assignment.size === 0) return true;
    return this.assignment.get(scope.topic)?.includes(scope.partition) === true;
  }

  /** Handles one chunk of a partition; answers the deferrals its handler calls returned (several after a poison split). */
  private async runBatch(handler: Handler, scope: BatchScope, msgs: KafkaMessage[], merger?: PartitionMerger<InboundMessage>): Promise<DeferredCommit[]> {
    const { topic, partition, heartbeat } = scope;
    const decoded: InboundMessage[] = [];
    const decodedRaw: KafkaMessage[] = [];
    for (const m of msgs) {
      try {
        decoded.push(decode(topic, partition, m));
        decodedRaw.push(m);
      } catch (err) {
        await this.deadLetter(scope, m, err, 1);
      }
    }
    if (decoded.length === 0) return [];
    const deferrals: DeferredCommit[] = [];
    if (merger) {
      // Attempt 1, shared with the other partitions of this fetch; any failure is handled per partition below.
      const outcome = await merger.submit(topic, partition, decoded, async (items, partitions) => {
        this.merges.calls++;
        this.merges.partitions += partitions.length;
        try {
          return await this.invoke(handler, items, new KafkaBatchContext([topic, partitions, 1, heartbeat]));
        } catch (err) {
          this.merges.failed++;
          this.logger.warn(`a call of ${topic} partitions ${partitions.join(', ')} (${items.length} messages) failed (${errorMessage(err)}); each partition handles its messages again on its own`);
          throw err;
        }
      });
      if (outcome.kind === 'handled') {
        collect(deferrals, outcome.value);
        return deferrals;
      }
      if (outcome.kind === 'failed') {
        this.opts.observer?.redelivered(topic, decoded.length);
        if (!scope.active()) throw new BatchAbandoned('consumer stopping or partition revoked');
      }
    }
    let failure: { err: unknown; attempts: number } | undefined;
    await this.withRetries(
      async (attempt) => collect(deferrals, await this.invoke(handler, decoded, new KafkaBatchContext([topic, [partition], attempt, heartbeat]))),
      async (err, attempts) => {
        failure = { err, attempts };
      },
      scope,
    );
    if (!failure) return deferrals;
    if (decoded.length === 1) {
      await this.deadLetter(scope, decodedRaw[0], failure.err, failure.attempts);
      return deferrals;
    }
    // Isolate the poison message(s): replay the chunk one message at a time.
    this.opts.observer?.redelivered(topic, decoded.length);
    for (let i = 0; i < decoded.length; i++) {
      const one = [decoded[i]];
      await this.withRetries(
        async (attempt) => collect(deferrals, await this.invoke(handler, one, new KafkaBatchContext([topic, [partition], attempt, heartbeat]))),
        async (err, attempts) => this.deadLetter(scope, decodedRaw[i], err, attempts),
        scope,
      );
    }
    return deferrals;
  }

  /** Calls the handler once; answers what it resolved to (an observable's last value). */
  private async invoke(handler: Handler, data: unknown, ctx: KafkaBatchContext): Promise<unknown> {
    const obs = this.opts.observer;
    if (obs && ctx.getAttempt() > 1) obs.redelivered(ctx.getTopic(), Array.isArray(data) ? data.length : 1);
    obs?.handlerCalled?.(ctx.getTopic(), Array.isArray(data) ? data.length : 1, ctx.getPartitions().length);
    // One consumer span per message and attempt when tracing is on (see kafka-tracing.ts).
    const spans = kafkaTracingEnabled() ? startConsumerSpans(ctx.getTopic(), (Array.isArray(data) ? data : [data]) as InboundMessage[]) : undefined;
    try {
      const result = await inConsumerSpan(spans, async () => handler(data, ctx));
      const value: unknown = isObservable(result) ? await lastValueFrom(result, { defaultValue: undefined }) : result;
      endConsumerSpans(spans);
      return value;
    } catch (err) {
      obs?.handlerFailed(ctx.getTopic());
      endConsumerSpans(spans, err);
      throw err;
    }
  }

  /**
   * Runs a handler until it succeeds. A transient infrastructure error holds the partition and
   * retries without limit (the attempt count starts again once it passes); any other error counts
   * as an attempt, and after `maxAttempts` (at once for `PermanentMessageError`) the message is
   * handed to `onExhausted` — unless the dependencies are unhealthy right then, in which case the
   * failure is not the message's and it is held like a transient error.
   */
  private async withRetries(
    run: (attempt: number) => Promise<void>,
    onExhausted: (err: unknown, attempts: number) => Promise<void>,
    scope: BatchScope,
  ): Promise<void> {
    let failures = 0;
    let held = 0;
    for (;;) {
      try {
        await run(failures + 1);
        this.unblock(scope);
        return;
      } catch (err) {
        if (err instanceof BatchAbandoned) throw err;
        const verdict = classifyFailure(err);
        if (verdict.transient) {
          failures = 0;
          await this.hold(scope, verdict, held++);
          continue;
        }
        failures++;
        const permanent = err instanceof PermanentMessageError;
        if (permanent || failures >= this.opts.maxAttempts) {
          if (!permanent) {
            const deps = await this.dependencies();
            if (!deps.ok) {
              failures = 0;
              await this.hold(scope, { transient: true, dependency: 'network', reason: `dependencies unhealthy (${deps.detail}); last error: ${errorMessage(err)}` }, held++);
              continue;
            }
          }
          await onExhausted(err, failures);
          return;
        }
        const delay = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (failures - 1));
        this.logger.warn(`handler failed (attempt ${failures}/${this.opts.maxAttempts}), retrying in ${delay} ms: ${errorMessage(err)}`);
        await this.sleep(delay, scope);
      }
    }
  }

  /** Retries `op` while it fails with a transient error (a DLQ write or a commit while Kafka is down). */
  private async retryTransient(scope: BatchScope, op: () => Promise<void>): Promise<void> {
    for (let held = 0; ; held++) {
      try {
        await op();
        return;
      } catch (err) {
        if (isGroupChange(err)) throw new BatchAbandoned(errorMessage(err));
        const verdict = classifyFailure(err);
        if (!verdict.transient) throw err;
        await this.hold(scope, verdict, held);
      }
    }
  }

  private async dependencies(): Promise<{ ok: boolean; detail: string }> {
    if (!this.opts.dependenciesHealthy) return { ok: true, detail: 'not checked' };
    return this.opts.dependenciesHealthy().catch((e: unknown) => ({ ok: false, detail: errorMessage(e) }));
  }

  /** Marks the partition blocked and waits out the backoff (capped, doubling), heartbeating. */
  private async hold(scope: BatchScope, verdict: Extract<FailureClass, { transient: true }>, held: number): Promise<void> {
    const key = `${scope.topic}[${scope.partition}]`;
    const delay = Math.min(this.opts.transientRetryMaxMs, this.opts.transientRetryBaseMs * 2 ** Math.min(held, 20));
    const prev = this.blocked.get(key);
    this.blocked.set(key, { topic: scope.topic, partition: scope.partition, dependency: verdict.dependency, reason: verdict.reason, since: prev?.since ?? new Date() });
    if (!prev || held % 12 === 0) {
      this.logger.warn(`${key} held: ${verdict.dependency} unavailable (${verdict.reason}); nothing committed, retry ${held + 1} in ${delay} ms`);
    }
    await this.sleep(delay, scope);
  }

  private unblock(scope: BatchScope): void {
    const key = `${scope.topic}[${scope.partition}]`;
    const b = this.blocked.get(key);
    if (!b) return;
    this.blocked.delete(key);
    this.logger.log(`${key} resumed after ${Date.now() - b.since.getTime()} ms held on ${b.dependency}`);
  }

  /**
   * Waits `ms` in short slices so a shutdown or a rebalance is noticed at once, heartbeating so
   * the group keeps this member while it holds a partition.
   */
  private async sleep(ms: number, scope: BatchScope): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
      if (!scope.active()) throw new BatchAbandoned('consumer stopping or partition revoked');
      try {
        await scope.heartbeat();
      } catch (err) {
        if (isGroupChange(err)) throw new BatchAbandoned(errorMessage(err));
        // Broker unreachable: the held message is retried anyway; the session may lapse, which the
        // next heartbeat reports as a group change.
      }
      const left = end - Date.now();
      if (left <= 0) return;
      await new Promise((r) => setTimeout(r, Math.min(200, left)));
    }
  }

  private async deadLetter(scope: BatchScope, m: KafkaMessage, err: unknown, attempts: number): Promise<void> {
    const { topic, partition } = scope;
    const dlq = dlqOf(topic);
    this.opts.observer?.deadLettered(topic);
    this.logger.error(`moving ${topic}[${partition}]@${m.offset} to ${dlq} after ${attempts} attempt(s): ${errorMessage(err)}`);
    const record = {
      key: m.key ? m.key.toString() : null,
      value: m.value ? new RawJson(m.value) : null,
      headers: {
        ...headersToStrings(m.headers),
        [DLQ_HEADERS.error]: errorMessage(err).slice(0, 2000),
        [DLQ_HEADERS.attempts]: String(attempts),
        [DLQ_HEADERS.topic]: topic,
        [DLQ_HEADERS.partition]: String(partition),
        [DLQ_HEADERS.offset]: m.offset,
        [DLQ_HEADERS.failedAt]: new Date().toISOString(),
        [DLQ_HEADERS.group]: this.opts.groupId,
      },
    };
    await this.retryTransient(scope, () => this.opts.producer.send(dlq, [record]));
  }
}

/** A test of one header's raw value (the first, if repeated), without decoding the record. */
function headerIs(name: string, value: Buffer): (m: KafkaMessage) => boolean {
  return (m) => {
    const h = m.headers?.[name];
    const v = Array.isArray(h) ? h[0] : h;
    if (v === undefined) return false;
    return typeof v === 'string' ? v === value.toString() : value.equals(v);
  };
}

/** Adds a handler's result to `deferrals` if it is a deferred commit. */
function collect(deferrals: DeferredCommit[], value: unknown): void {
  const d = asDeferred(value);
  if (d) deferrals.push(d);
}

function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

function decode(topic: string, partition: number, m: KafkaMessage): InboundMessage {
  let value: unknown = null;
  if (m.value !== null && m.value.length > 0) {
    try {
      value = JSON.parse(m.value.toString('utf8'));
    } catch (err) {
      throw new PermanentMessageError(`value is not valid JSON: ${errorMessage(err)}`);
    }
  }
  return new DecodedMessage(topic, partition, m, value);
}

/**
 * One record as handlers see it. The value is parsed up front (a record that is not JSON is
 * dead-lettered before any handler runs); headers, envelope and timestamp are decoded on first read
 * and kept, because most handlers never read them and decoding every record's headers was a
 * measurable share of a consumer's CPU. Reads see one object each time, so a change to `envelope`
 * (tracing stamps its span into `traceparent`) is what later reads see.
 */
class DecodedMessage implements InboundMessage {
  readonly offset: string;
  readonly key: string | null;
  private decodedHeaders?: Record<string, string>;
  private decodedEnvelope?: EventEnvelope | null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly record: KafkaMessage,
    public value: unknown,
  ) {
    this.offset = record.offset;
    this.key = record.key ? record.key.toString('utf8') : null;
  }

  get headers(): Record<string, string> {
    return (this.decodedHeaders ??= headersToStrings(this.record.headers));
  }

  get envelope(): EventEnvelope | undefined {
    if (this.decodedEnvelope === undefined) this.decodedEnvelope = decodeEnvelope(this.headers) ?? null;
    return this.decodedEnvelope ?? undefined;
  }

  get timestamp(): string {
    return new Date(Number(this.record.timestamp)).toISOString();
  }

  /** What a logger or JSON encoder sees: the same fields as a plain decoded record. */
  toJSON(): InboundMessage {
    const { topic, partition, offset, key, value, headers, envelope, timestamp } = this;
    return { topic, partition, offset, key, value, headers, envelope, timestamp };
  }
}
