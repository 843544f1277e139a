import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { DLQ_HEADERS, dlqOf } from '@hookstream/contracts';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import type { ConsumerObserver } from './consumer-observer';
import { errorMessage, PermanentMessageError } from './errors';
import type { EventProducer } from './event-producer';
import { KafkaBatchContext } from './kafka-context';
import { endConsumerSpans, inConsumerSpan, kafkaTracingEnabled, startConsumerSpans } from './kafka-tracing';
import { decodeEnvelope, headersToStrings, RawJson, type InboundMessage } from './messages';
import { isReplayForAnotherGroup } from './replay';

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
  heartbeatIntervalMs?: number;
  fromBeginning?: boolean;
  /** Metrics hooks (lag, batch size and duration, errors, redeliveries, DLQ writes). */
  observer?: ConsumerObserver;
}

/** Extras of `@EventPattern(topic, { batch: true })`: the handler receives `InboundMessage[]`. */
export interface KafkaHandlerExtras {
  batch?: boolean;
}

type Handler = (data: unknown, ctx: KafkaBatchContext) => Promise<unknown>;

/** Re-exported: the DLQ headers are part of the published contract (@hookstream/contracts). */
export { DLQ_HEADERS };

/**
 * NestJS transport over kafkajs consumer groups, built for at-least-once with exactly-once effects:
 *
 * - batches (`eachBatch`), partitions processed concurrently, heartbeats between messages and
 *   on a timer while a handler runs;
 * - an offset is committed only after its handler resolved — and handlers await everything they
 *   produce or write — so a crash redelivers, never loses;
 * - a failing message is retried `maxAttempts` times with exponential backoff, then written to
 *   `<topic>.dlq` with its error and attempt count, and the partition moves on;
 * - batch handlers that fail are retried whole, then split so only the poison message goes to the DLQ.
 */
export class KafkaBatchTransport extends Server implements CustomTransportStrategy {
  private consumer?: Consumer;
  private readonly opts: Required<Omit<KafkaBatchTransportOptions, 'kafka' | 'producer' | 'observer'>> & Pick<KafkaBatchTransportOptions, 'kafka' | 'producer' | 'observer'>;
  protected override readonly logger = new Logger('KafkaBatchTransport');
  private inFlight = 0;

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
      fromBeginning: true,
      ...options,
    };
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
      this.consumer = this.opts.kafka.consumer({
        groupId: this.opts.groupId,
        sessionTimeout: this.opts.sessionTimeoutMs,
        heartbeatInterval: this.opts.heartbeatIntervalMs,
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: 500,
        retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000 },
      });
      await this.consumer.connect();
      await this.consumer.subscribe({ topics, fromBeginning: this.opts.fromBeginning });
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.onBatch(payload),
      });
      this.logger.log(`consuming ${topics.join(', ')} as group ${this.opts.groupId}`);
      callback();
    } catch (err) {
      callback(err);
    }
  }

  /** Stops fetching, lets the in-flight batches finish and commit, then leaves the group. */
  async close(): Promise<void> {
    if (!this.consumer) return;
    const c = this.consumer;
    this.consumer = undefined;
    await c.stop();
    await c.disconnect();
  }

  get busy(): number {
    return this.inFlight;
  }

  on(): never {
    throw new Error('KafkaBatchTransport does not emit events');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const handler = this.getHandlerByPattern(batch.topic) as Handler | null;
    if (!handler) throw new Error(`no handler for topic ${batch.topic}`);
    const batchMode = (handler as { extras?: KafkaHandlerExtras }).extras?.batch === true;
    this.inFlight++;
    const obs = this.opts.observer;
    const t0 = obs ? performance.now() : 0;
    const hwm = Number(batch.highWatermark);
    obs?.batchStarted(batch.topic, batch.partition, batch.messages.length, hwm - Number(batch.firstOffset() ?? batch.highWatermark));
    const timer = setInterval(() => void heartbeat().catch(() => undefined), this.opts.heartbeatIntervalMs);
    try {
      const size = batchMode ? this.opts.maxBatchSize : 1;
      for (let i = 0; i < batch.messages.length; i += size) {
        if (!isRunning() || isStale()) break;
        const chunk = batch.messages.slice(i, i + size);
        // A DLQ replay addressed to another group is committed past unread (see replay.ts).
        const mine = chunk.filter((m) => !isReplayForAnotherGroup(m, this.opts.groupId));
        if (mine.length === 0) {
          // nothing of ours in this chunk
        } else if (batchMode) await this.runBatch(handler, batch.topic, batch.partition, mine, heartbeat);
        else await this.runOne(handler, batch.topic, batch.partition, mine[0], heartbeat);
        const last = chunk[chunk.length - 1].offset;
        resolveOffset(last);
        // Through the batch payload, not consumer.commitOffsets(): kafkajs silently drops the latter
        // once stop() has begun, so the batches a graceful shutdown waits for would never commit.
        const next = nextOffset(last);
        await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
        obs?.committed(batch.topic, batch.partition, chunk.length, Math.max(0, hwm - Number(next)));
        await heartbeat();
      }
    } finally {
      obs?.batchFinished(batch.topic, batch.partition, (performance.now() - t0) / 1000);
      clearInterval(timer);
      this.inFlight--;
    }
  }

  private async runOne(handler: Handler, topic: string, partition: number, m: KafkaMessage, heartbeat: () => Promise<void>): Promise<void> {
    let decoded: InboundMessage;
    try {
      decoded = decode(topic, partition, m);
    } catch (err) {
      await this.deadLetter(topic, partition, m, err, 1);
      return;
    }
    await this.withRetries(
      (attempt) => this.invoke(handler, decoded, new KafkaBatchContext([topic, partition, attempt, heartbeat])),
      async (err, attempts) => this.deadLetter(topic, partition, m, err, attempts),
      heartbeat,
    );
  }

  private async runBatch(handler: Handler, topic: string, partition: number, msgs: KafkaMessage[], heartbeat: () => Promise<void>): Promise<void> {
    const decoded: InboundMessage[] = [];
    const decodedRaw: KafkaMessage[] = [];
    for (const m of msgs) {
      try {
        decoded.push(decode(topic, partition, m));
        decodedRaw.push(m);
      } catch (err) {
        await this.deadLetter(topic, partition, m, err, 1);
      }
    }
    if (decoded.length === 0) return;
    let failure: { err: unknown; attempts: number } | undefined;
    await this.withRetries(
      (attempt) => this.invoke(handler, decoded, new KafkaBatchContext([topic, partition, attempt, heartbeat])),
      async (err, attempts) => {
        failure = { err, attempts };
      },
      heartbeat,
    );
    if (!failure) return;
    if (decoded.length === 1) {
      await this.deadLetter(topic, partition, decodedRaw[0], failure.err, failure.attempts);
      return;
    }
    // Isolate the poison message(s): replay the chunk one message at a time.
    this.opts.observer?.redelivered(topic, decoded.length);
    for (let i = 0; i < decoded.length; i++) {
      const one = [decoded[i]];
      await this.withRetries(
        (attempt) => this.invoke(handler, one, new KafkaBatchContext([topic, partition, attempt, heartbeat])),
        async (err, attempts) => this.deadLetter(topic, partition, decodedRaw[i], err, attempts),
        heartbeat,
      );
    }
  }

  private async invoke(handler: Handler, data: unknown, ctx: KafkaBatchContext): Promise<void> {
    const obs = this.opts.observer;
    if (obs && ctx.getAttempt() > 1) obs.redelivered(ctx.getTopic(), Array.isArray(data) ? data.length : 1);
    // One consumer span per message and attempt when tracing is on (see kafka-tracing.ts).
    const spans = kafkaTracingEnabled() ? startConsumerSpans(ctx.getTopic(), ctx.getPartition(), (Array.isArray(data) ? data : [data]) as InboundMessage[]) : undefined;
    try {
      const result = await inConsumerSpan(spans, async () => handler(data, ctx));
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
      endConsumerSpans(spans);
    } catch (err) {
      obs?.handlerFailed(ctx.getTopic());
      endConsumerSpans(spans, err);
      throw err;
    }
  }

  private async withRetries(
    run: (attempt: number) => Promise<void>,
    onExhausted: (err: unknown, attempts: number) => Promise<void>,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await run(attempt);
        return;
      } catch (err) {
        const permanent = err instanceof PermanentMessageError;
        if (permanent || attempt >= this.opts.maxAttempts) {
          await onExhausted(err, attempt);
          return;
        }
        const delay = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (attempt - 1));
        this.logger.warn(`handler failed (attempt ${attempt}/${this.opts.maxAttempts}), retrying in ${delay} ms: ${errorMessage(err)}`);
        await new Promise((r) => setTimeout(r, delay));
        await heartbeat().catch(() => undefined);
      }
    }
  }

  private async deadLetter(topic: string, partition: number, m: KafkaMessage, err: unknown, attempts: number): Promise<void> {
    const dlq = dlqOf(topic);
    this.opts.observer?.deadLettered(topic);
    this.logger.error(`moving ${topic}[${partition}]@${m.offset} to ${dlq} after ${attempts} attempt(s): ${errorMessage(err)}`);
    await this.opts.producer.send(dlq, [
      {
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
      },
    ]);
  }
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
  const headers = headersToStrings(m.headers);
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString('utf8') : null,
    value,
    headers,
    envelope: decodeEnvelope(headers),
    timestamp: new Date(Number(m.timestamp)).toISOString(),
  };
}
