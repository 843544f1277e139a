import type { Kafka, Producer, TopicMessages } from 'kafkajs';
import { errorMessage, ProducerUnavailableError } from './errors';
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
  /** Time to wait for more sends before flushing when the producer is idle; 0 = next tick only. */
  lingerMs?: number;
}

interface Pending {
  topic: string;
  messages: OutboundMessage[];
  resolve: () => void;
  reject: (err: Error) => void;
  settled: boolean;
}

/**
 * Coalesces concurrent sends into shared produce requests.
 *
 * An idempotent producer may have one request in flight per broker, so while one request is
 * on the wire every new send queues; when it returns, everything queued goes out as the next
 * request (group commit). Under load the request size grows with concurrency instead of the
 * request count, which is what lets the gateway answer 202 per event after acks=all.
 */
export class CoalescingProducer implements EventProducer {
  private readonly producer: Producer;
  private queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  private connected = false;
  private readonly sendTimeoutMs: number;
  private readonly maxBatchMessages: number;
  private readonly lingerMs: number;
  /** Counters for benchmarks and metrics. */
  readonly stats = { requests: 0, messages: 0, failures: 0 };

  constructor(kafka: Kafka, opts: CoalescingProducerOptions = {}) {
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 5000;
    this.maxBatchMessages = opts.maxBatchMessages ?? 5000;
    this.lingerMs = opts.lingerMs ?? 0;
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 },
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  /** Waits for queued sends (bounded by their own timeouts), then disconnects. */
  async disconnect(): Promise<void> {
    const deadline = Date.now() + this.sendTimeoutMs;
    while ((this.queue.length > 0 || this.flushing) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    this.connected = false;
    await this.producer.disconnect();
  }

  send(topic: string, messages: OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    if (!this.connected) return Promise.reject(new ProducerUnavailableError('producer is not connected'));
    return new Promise<void>((resolve, reject) => {
      const p: Pending = { topic, messages, resolve, reject, settled: false };
      const timer = setTimeout(() => {
        if (p.settled) return;
        p.settled = true;
        this.stats.failures++;
        reject(new ProducerUnavailableError(`Kafka did not acknowledge within ${this.sendTimeoutMs} ms`));
      }, this.sendTimeoutMs);
      timer.unref();
      p.resolve = () => {
        clearTimeout(timer);
        if (!p.settled) {
          p.settled = true;
          resolve();
        }
      };
      p.reject = (err) => {
        clearTimeout(timer);
        if (!p.settled) {
          p.settled = true;
          reject(err);
        }
      };
      this.queue.push(p);
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
        const batch = this.take();
        // Sends that already timed out were answered 503; still write the rest.
        const live = batch.filter((p) => !p.settled);
        if (live.length === 0) continue;
        const byTopic = new Map<string, TopicMessages>();
        let count = 0;
        for (const p of live) {
          let tm = byTopic.get(p.topic);
          if (!tm) {
            tm = { topic: p.topic, messages: [] };
            byTopic.set(p.topic, tm);
          }
          for (const m of p.messages) {
            tm.messages.push({
              key: m.key,
              value: encodeValue(m.value),
              headers: encodeHeaders(m),
              partition: m.partition,
            });
            count++;
          }
        }
        try {
          await this.producer.sendBatch({ topicMessages: [...byTopic.values()], acks: -1 });
          this.stats.requests++;
          this.stats.messages += count;
          for (const p of live) p.resolve();
        } catch (err) {
          this.stats.failures += live.length;
          const e = new ProducerUnavailableError(`Kafka produce failed: ${errorMessage(err)}`, { cause: err });
          for (const p of live) p.reject(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private take(): Pending[] {
    let n = 0;
    let i = 0;
    while (i < this.queue.length && (i === 0 || n + this.queue[i].messages.length <= this.maxBatchMessages)) {
      n += this.queue[i].messages.length;
      i++;
    }
    return this.queue.splice(0, i);
  }
}
