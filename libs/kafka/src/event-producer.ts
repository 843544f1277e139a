import { Logger } from '@nestjs/common';
import type { CompressionTypes, Kafka, Message, Producer, TopicMessages } from 'kafkajs';
import type { Span } from '@opentelemetry/api';
import { errorMessage } from '@hookstream/contracts';
import { ProducerOverloadedError, ProducerUnavailableError } from './errors';
import { producerCompression } from './kafka-connection';
import { endProducerSpans, kafkaTracingEnabled, startProducerSpan } from './kafka-tracing';
import { encodeHeaders, encodeValue, type OutboundMessage } from './messages';

/** The one way Hookstream writes to Kafka. `send` resolves only once the broker acknowledged (acks=all). */
export interface EventProducer {
  send(topic: string, messages: OutboundMessage[]): Promise<void>;
}

export const EVENT_PRODUCER = Symbol('EVENT_PRODUCER');

export interface CoalescingProducerOptions {
  /** A send that has not been acknowledged within this bound is failed (the gateway answers 503). */
  sendTimeoutMs?: number;
  /** Upper bound of messages in one produce request. */
  maxBatchMessages?: number;
  /**
   * Upper bound of encoded bytes in one produce request. The broker refuses a record batch over
   * `message.max.bytes` (1 MiB by default) — and a refused request also desynchronises the
   * idempotent producer's sequence numbers — so requests stay below it. A record batch (one
   * partition's share) is never larger than its request, and the size estimate over-counts
   * framing, so the default of 900 KiB keeps every batch under the broker's limit.
   */
  maxRequestBytes?: number;
  /** Time to wait for more sends before flushing when the producer is idle; 0 = next tick only. */
  lingerMs?: number;
  /**
   * Cap on the encoded bytes waiting in the queue (not yet handed to kafkajs). A send that would
   * pass it fails at once with ProducerOverloadedError: while the broker stalls, memory stays
   * bounded instead of growing with every request. Default 64 MiB.
   */
  maxQueuedBytes?: number;
  /** Cap on sends not yet settled (queued or on the wire); past it, ProducerOverloadedError. Default 10,000. */
  maxPendingSends?: number;
  /** Backoff between attempts to connect a replacement producer (doubling, capped), retried until it connects. */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
}

/** One caller's `send`: settled once every part of it is acknowledged, or on the first failure. */
interface SendCall {
  remaining: number;
  settled: boolean;
  /** Its parts still in the queue, so a timed-out send can give their bytes back at once. */
  queued: Set<Part>;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A slice of a send, encoded, small enough to share a request with others. */
interface Part {
  topic: string;
  messages: Message[];
  bytes: number;
  call: SendCall;
}

const PER_MESSAGE_OVERHEAD = 70; // record framing, varints, timestamps

function sizeOf(m: Message): number {
  let n = PER_MESSAGE_OVERHEAD + (m.key ? Buffer.byteLength(m.key as string) : 0) + (m.value ? Buffer.byteLength(m.value as string | Buffer) : 0);
  if (m.headers) for (const [k, v] of Object.entries(m.headers)) n += k.length + (v ? Buffer.byteLength(v as string) : 0) + 4;
  return n;
}

/**
 * Coalesces concurrent sends into shared produce requests.
 *
 * An idempotent producer may have one request in flight per broker, so while one request is
 * on the wire every new send queues; when it returns, everything queued goes out as the next
 * request (group commit). Under load the request size grows with concurrency instead of the
 * request count, which is what lets the gateway answer 202 per event after acks=all. Requests are
 * bounded in messages and bytes; a send larger than one request is split and resolves when all
 * of its parts are acknowledged.
 */
export class CoalescingProducer implements EventProducer {
  private producer: Producer;
  private queue: Part[] = [];
  private flushing = false;
  private scheduled = false;
  /** `reconnecting`: the producer was replaced and the new one is not connected yet; sends fail fast meanwhile. */
  private state: 'new' | 'connected' | 'reconnecting' | 'closed' = 'new';
  private lastError = '';
  private readonly reconnectBaseMs: number;
  private readonly reconnectMaxMs: number;
  private readonly log = new Logger('CoalescingProducer');
  private readonly sendTimeoutMs: number;
  private readonly maxBatchMessages: number;
  private readonly maxRequestBytes: number;
  private readonly lingerMs: number;
  private readonly maxQueuedBytes: number;
  /** KAFKA_COMPRESSION of the client (`createKafkaClient`). */
  private readonly compression: CompressionTypes;
  private readonly maxPendingSends: number;
  private queuedBytes = 0;
  private pendingSends = 0;
  /** Counters for benchmarks and metrics. */
  readonly stats = { requests: 0, messages: 0, failures: 0, resets: 0, overloaded: 0, reconnects: 0 };

  constructor(private readonly kafka: Kafka, opts: CoalescingProducerOptions = {}) {
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 5000;
    this.maxBatchMessages = opts.maxBatchMessages ?? 5000;
    this.maxRequestBytes = opts.maxRequestBytes ?? 900 * 1024;
    this.lingerMs = opts.lingerMs ?? 0;
    this.maxQueuedBytes = opts.maxQueuedBytes ?? 64 * 1024 * 1024;
    this.maxPendingSends = opts.maxPendingSends ?? 10_000;
    this.reconnectBaseMs = opts.reconnectBaseMs ?? 200;
    this.reconnectMaxMs = opts.reconnectMaxMs ?? 5000;
    this.compression = producerCompression(kafka).type;
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 },
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.state = 'connected';
  }

  /** Readiness: not ok while the producer is not connected (e.g. reconnecting after a reset). */
  async health(): Promise<{ ok: boolean; detail: string }> {
    if (this.state === 'connected') return { ok: true, detail: 'connected' };
    if (this.state === 'reconnecting') return { ok: false, detail: `reconnecting to Kafka since a reset${this.lastError ? ` (last error: ${this.lastError})` : ''}` };
    return { ok: false, detail: this.state === 'closed' ? 'disconnected (shutting down)' : 'not connected yet' };
  }

  /** Waits for queued sends (bounded by their own timeouts), then disconnects. */
  async disconnect(): Promise<void> {
    const deadline = Date.now() + this.sendTimeoutMs;
    while ((this.queue.length > 0 || this.flushing) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    this.state = 'closed';
    await this.producer.disconnect();
  }

  /** Bytes waiting in the queue and sends not yet settled, for tests and metrics. */
  get backlog(): { queuedBytes: number; pendingSends: number } {
    return { queuedBytes: this.queuedBytes, pendingSends: this.pendingSends };
  }

  send(topic: string, messages: OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    // While a replacement producer connects, sends queue (bounded by the backlog caps and their
    // own timeout) and go out once it is connected: a reset costs no 503 if it is quick.
    if (this.state !== 'connected' && this.state !== 'reconnecting') return Promise.reject(new ProducerUnavailableError('producer is not connected'));
    // Encoded once, here: the size decides the admission and how the send is cut into requests.
    const encoded: { msg: Message; size: number }[] = [];
    let total = 0;
    for (const m of messages) {
      const msg: Message = { key: m.key, value: encodeValue(m.value), headers: encodeHeaders(m), partition: m.partition };
      const size = sizeOf(msg);
      encoded.push({ msg, size });
      total += size;
    }
    if (this.pendingSends >= this.maxPendingSends || (this.queuedBytes > 0 && this.queuedBytes + total > this.maxQueuedBytes)) {
      this.stats.overloaded++;
      return Promise.reject(new ProducerOverloadedError(
        `producer backlog full (${this.pendingSends} sends, ${this.queuedBytes} bytes queued; caps ${this.maxPendingSends} / ${this.maxQueuedBytes}): Kafka is not keeping up`,
      ));
    }
    this.pendingSends++;
    // Producer spans (tracing on only): one per record, ended when the send settles.
    let spans: Span[] | undefined;
    if (kafkaTracingEnabled()) {
      spans = [];
      for (const { msg } of encoded) {
        const span = msg.headers ? startProducerSpan(topic, msg.headers as Record<string, string>) : undefined;
        if (span) spans.push(span);
      }
    }
    return new Promise<void>((resolve, reject) => {
      const settle = (): void => {
        call.settled = true;
        this.pendingSends--;
        clearTimeout(timer);
      };
      const timer = setTimeout(() => {
        if (call.settled) return;
        settle();
        this.stats.failures++;
        // Answered now: its parts still waiting in the queue will never be sent, so free them.
        for (const p of call.queued) {
          this.queuedBytes -= p.bytes;
          p.bytes = 0;
          p.messages = [];
        }
        call.queued.clear();
        const reconnecting = this.state === 'reconnecting' ? ` (the producer is reconnecting to Kafka: ${this.lastError})` : '';
        const err = new ProducerUnavailableError(`Kafka did not acknowledge within ${this.sendTimeoutMs} ms${reconnecting}`);
        endProducerSpans(spans, err);
        reject(err);
      }, this.sendTimeoutMs);
      timer.unref();
      const call: SendCall = {
        remaining: 0,
        settled: false,
        queued: new Set(),
        resolve: () => {
          if (call.settled || --call.remaining > 0) return;
          settle();
          endProducerSpans(spans);
          resolve();
        },
        reject: (err) => {
          if (call.settled) return;
          settle();
          endProducerSpans(spans, err);
          reject(err);
        },
      };
      const enqueue = (p: Part): void => {
        this.queue.push(p);
        this.queuedBytes += p.bytes;
        call.queued.add(p);
        call.remaining++;
      };
      let part: Part = { topic, messages: [], bytes: 0, call };
      for (const { msg, size } of encoded) {
        if (part.messages.length > 0 && (part.bytes + size > this.maxRequestBytes || part.messages.length >= this.maxBatchMessages)) {
          enqueue(part);
          part = { topic, messages: [], bytes: 0, call };
        }
        part.messages.push(msg);
        part.bytes += size;
      }
      enqueue(part);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.flushing || this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      void this.flush();
    };
    if (this.lingerMs > 0) setTimeout(run, this.lingerMs);
    else setImmediate(run);
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        // Queued before a reset: sent once the new producer is connected (or answered by their timeout).
        if (this.state === 'reconnecting') break;
        // Sends that already timed out were answered 503; still write the rest.
        const live = this.take().filter((p) => !p.call.settled);
        if (live.length === 0) continue;
        const byTopic = new Map<string, TopicMessages>();
        let count = 0;
        for (const p of live) {
          let tm = byTopic.get(p.topic);
          if (!tm) {
            tm = { topic: p.topic, messages: [] };
            byTopic.set(p.topic, tm);
          }
          for (const m of p.messages) tm.messages.push(m);
          count += p.messages.length;
        }
        try {
          await this.producer.sendBatch({ topicMessages: [...byTopic.values()], acks: -1, compression: this.compression });
          this.stats.requests++;
          this.stats.messages += count;
          for (const p of live) p.call.resolve();
        } catch (err) {
          this.stats.failures += live.length;
          const e = new ProducerUnavailableError(`Kafka produce failed: ${errorMessage(err)}`, { cause: err });
          for (const p of live) p.call.reject(e);
          this.resetAfterFailure(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * Any failed request ends this producer: the next request gets a new one (a new producer id).
   * A failure does not tell whether the broker wrote the batch (a connection closed or a request
   * timed out after the leader appended it, e.g. a broker killed mid-request), and kafkajs then
   * rolls the partition's sequence number back. The next request — other messages — would reuse
   * that sequence under the same producer id, and a broker that has the first batch takes the new
   * one for its retry: it answers "duplicate", with success, and never writes it. That was an
   * acknowledged event lost (2 of 1,052 in a broker SIGKILL run, never in `events.raw`). Within one
   * request's own retries kafkajs resends the same messages, which is what the check is for.
   * After a request the broker refused for good (too large, out-of-order sequence …) the sequence
   * numbers no longer match the broker's either. A producer that reports itself disconnected is
   * replaced too: kafkajs never reconnects it by itself.
   */
  private resetAfterFailure(err: unknown): void {
    if (this.state !== 'connected') return;
    this.stats.resets++;
    this.state = 'reconnecting';
    this.lastError = errorMessage(err);
    void this.reconnect();
  }

  /**
   * Replaces the producer and connects the new one, retrying with capped backoff until it
   * connects (or `disconnect()` is called): a broker that refuses at reset time must not leave a
   * producer that is dead for good while the app reports ready.
   */
  private async reconnect(): Promise<void> {
    const old = this.producer;
    await old.disconnect().catch(() => undefined);
    for (let attempt = 0; this.state === 'reconnecting'; attempt++) {
      const next = this.newProducer();
      try {
        await next.connect();
        if (this.state !== 'reconnecting') {
          await next.disconnect().catch(() => undefined);
          return;
        }
        this.producer = next;
        this.state = 'connected';
        this.stats.reconnects++;
        this.log.log(`reconnected to Kafka after ${attempt + 1} attempt(s)`);
        if (this.queue.length > 0) this.schedule();
        return;
      } catch (err) {
        this.lastError = errorMessage(err);
        await next.disconnect().catch(() => undefined);
        const delay = Math.min(this.reconnectMaxMs, this.reconnectBaseMs * 2 ** Math.min(attempt, 20));
        if (attempt % 10 === 0) this.log.warn(`could not connect a new producer (${this.lastError}); retrying in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  }

  private take(): Part[] {
    let n = 0;
    let bytes = 0;
    let i = 0;
    while (i < this.queue.length) {
      const p = this.queue[i];
      if (i > 0 && (n + p.messages.length > this.maxBatchMessages || bytes + p.bytes > this.maxRequestBytes)) break;
      n += p.messages.length;
      bytes += p.bytes;
      i++;
    }
    const taken = this.queue.splice(0, i);
    for (const p of taken) {
      this.queuedBytes -= p.bytes;
      p.call.queued.delete(p);
    }
    return taken;
  }
}
