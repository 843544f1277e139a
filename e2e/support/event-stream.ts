import { randomBytes } from 'node:crypto';
import type { Received } from './receiver';

export interface StreamResponse {
  seq: number;
  status: number;
  /** When the answer came (ms since epoch); 0 status = no answer (connection error, timeout). */
  at: number;
}

export interface StreamReport {
  /** Distinct events the stream tried to get accepted. */
  events: number;
  /** Events the gateway acknowledged with 202. */
  accepted: number;
  /** Every HTTP answer by status (0 = no answer). */
  answers: Record<string, number>;
  /** Acknowledged events that never reached the receiver. */
  lost: number;
  /** Longest time between two 202s that had only errors in between (ms). */
  longestUnavailableMs: number;
  /** Deliveries beyond the first of an event, all carrying that event's webhook-id. */
  repeatedDeliveries: number;
  /** Events delivered under more than one webhook-id (would defeat receiver-side dedupe). */
  eventsWithSeveralWebhookIds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Streams sequenced events into the gateway from a few concurrent senders, the way a well-behaved
 * webhook sender does: each event carries its own `Idempotency-Key`; a 503 (or no answer) is
 * retried with the same key until it gets its 202. Records every answer with its time.
 */
export class EventStream {
  readonly runId = randomBytes(3).toString('hex');
  private nextSeq = 0;
  private running = false;
  private workers: Promise<void>[] = [];
  readonly accepted = new Map<number, string>();
  readonly responses: StreamResponse[] = [];
  private giveUpAt = Infinity;

  constructor(private readonly url: string, private readonly opts: { senders?: number; gapMs?: number; requestTimeoutMs?: number } = {}) {}

  start(): void {
    this.running = true;
    for (let i = 0; i < (this.opts.senders ?? 4); i++) this.workers.push(this.sender());
  }

  /** Stops taking new sequence numbers; events in progress keep retrying until accepted (bounded). */
  async stop(maxMs = 90_000): Promise<void> {
    this.running = false;
    this.giveUpAt = Date.now() + maxMs;
    await Promise.all(this.workers);
    this.workers = [];
  }

  productOf(seq: number): string {
    return `fault-${this.runId}-${seq}`;
  }

  /** The sequence number a delivery is for (from the product name), or undefined if not ours. */
  seqOf(r: Received): number | undefined {
    try {
      const body = JSON.parse(r.body.toString()) as { data?: { product?: { name?: string } } };
      const m = new RegExp(`^fault-${this.runId}-(\\d+)$`).exec(body.data?.product?.name ?? '');
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  private async sender(): Promise<void> {
    while (this.running) {
      const seq = ++this.nextSeq;
      await this.sendUntilAccepted(seq);
      await sleep(this.opts.gapMs ?? 50);
    }
  }

  private async sendUntilAccepted(seq: number): Promise<void> {
    const body = JSON.stringify({
      event: 'purchase', first_name: 'Fault', city: 'Berlin', country: 'DE', product: this.productOf(seq),
      timestamp: new Date().toISOString(), amount: seq, currency: 'EUR',
    });
    while (Date.now() < this.giveUpAt) {
      let status = 0;
      let id: string | undefined;
      try {
        const r = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': this.productOf(seq) },
          body,
          signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 15_000),
        });
        status = r.status;
        const json = (await r.json().catch(() => ({}))) as { id?: string };
        id = json.id;
      } catch {
        status = 0;
      }
      this.responses.push({ seq, status, at: Date.now() });
      if (status === 202 && id) {
        this.accepted.set(seq, id);
        return;
      }
      await sleep(100);
    }
  }

  /** How the stream went, against what the receiver got. */
  report(received: Received[]): StreamReport {
    const bySeq = new Map<number, string[]>();
    for (const r of received) {
      const seq = this.seqOf(r);
      if (seq === undefined) continue;
      const ids = bySeq.get(seq) ?? [];
      ids.push(String(r.headers['webhook-id']));
      bySeq.set(seq, ids);
    }
    const answers: Record<string, number> = {};
    for (const r of this.responses) answers[String(r.status)] = (answers[String(r.status)] ?? 0) + 1;
    let repeated = 0;
    let severalIds = 0;
    for (const ids of bySeq.values()) {
      repeated += ids.length - 1;
      if (new Set(ids).size > 1) severalIds++;
    }
    return {
      events: this.nextSeq,
      accepted: this.accepted.size,
      answers,
      lost: [...this.accepted.keys()].filter((s) => !bySeq.has(s)).length,
      longestUnavailableMs: longestUnavailable(this.responses),
      repeatedDeliveries: repeated,
      eventsWithSeveralWebhookIds: severalIds,
    };
  }

  /** Acknowledged events the receiver has not got yet. */
  missing(received: Received[]): number[] {
    const got = new Set(received.map((r) => this.seqOf(r)).filter((s): s is number => s !== undefined));
    return [...this.accepted.keys()].filter((s) => !got.has(s));
  }
}

/** The longest span from the last 202 before an error to the next 202 (only spans that contain errors). */
export function longestUnavailable(responses: StreamResponse[]): number {
  const sorted = [...responses].sort((a, b) => a.at - b.at);
  let last202: number | undefined;
  let failedSince202 = false;
  let longest = 0;
  for (const r of sorted) {
    if (r.status === 202) {
      if (failedSince202 && last202 !== undefined) longest = Math.max(longest, r.at - last202);
      last202 = r.at;
      failedSince202 = false;
    } else {
      failedSince202 = true;
    }
  }
  return longest;
}
