import { Inject, Injectable } from '@nestjs/common';
import {
  IdPrefix, newId, stableId, Topics, type RawEventDto, type SourceSnapshot, childTraceparent,
} from '@hookstream/contracts';
import {
  encodeHeaders, EVENT_PRODUCER, ProducerOverloadedError, ProducerUnavailableError, RawJson, type EventProducer, type OutboundMessage,
} from '@hookstream/kafka';
import { APP_CONFIG } from '@hookstream/platform';
import { matchToken, SecretBox, verify, verifyHmacHex } from '@hookstream/webhooks';
import type { GatewayConfig } from '../gateway.config';
import { SourceCache } from '../config-cache/source.cache';
import { GatewayError, GatewayErrorCode } from './gateway.errors';
import type { HookCall, HookHeaders } from './hook-call';
import { IngestMetrics } from './ingest.metrics';
import { RateLimiter } from './rate-limiter';

/** Headers worth keeping downstream; auth and cookies never leave the gateway. */
const KEPT_HEADERS = ['user-agent', 'idempotency-key', 'webhook-id', 'x-forwarded-for', 'x-request-id', 'traceparent'];

@Injectable()
export class IngestService {
  private readonly limiter: RateLimiter;
  private readonly box: SecretBox;

  constructor(
    private readonly sources: SourceCache,
    @Inject(EVENT_PRODUCER) private readonly producer: EventProducer,
    @Inject(APP_CONFIG) private readonly config: GatewayConfig,
    private readonly metrics: IngestMetrics,
  ) {
    this.limiter = new RateLimiter(config.RATE_LIMIT_BURST_SECONDS);
    this.box = SecretBox.fromBase64Key(config.SECRETS_KEY);
  }

  /**
   * Authenticates the source. An unknown source and a wrong token give the same answer, and both
   * run the same constant-time comparison (against no candidates plus a dummy), so timing cannot
   * tell which source ids exist.
   */
  authenticate(sourceId: string, token: string | undefined): SourceSnapshot {
    const source = this.sources.get(sourceId);
    const candidates = source?.enabled ? source.tokens : [];
    const m = matchToken(token ?? '', candidates);
    if (!source || !m.ok || !token) {
      throw new GatewayError(401, GatewayErrorCode.Unauthorized, 'Unknown source or invalid token. Use the webhook URL shown when the source was created (or rotate its token).');
    }
    return source;
  }

  verifySignature(source: SourceSnapshot, headers: HookHeaders, rawBody: Buffer): void {
    const sig = source.signature;
    if (sig.kind === 'none') return;
    const secret = this.box.open(sig.secretEnc);
    if (sig.kind === 'standard-webhooks') {
      const r = verify(headers, rawBody, [secret], { toleranceSeconds: sig.toleranceSeconds ?? 300 });
      if (r.ok) return;
      if (r.reason === 'timestamp_out_of_tolerance') {
        throw new GatewayError(401, GatewayErrorCode.StaleSignature, 'webhook-timestamp is outside the ±5 minute tolerance; sign with the current time.');
      }
      throw new GatewayError(401, GatewayErrorCode.InvalidSignature, `Signature check failed: ${r.message}`);
    }
    const r = verifyHmacHex(headers, rawBody, [secret], { header: sig.header, prefix: sig.prefix });
    if (!r.ok) throw new GatewayError(401, GatewayErrorCode.InvalidSignature, `Signature check failed: ${r.message}`);
  }

  rateLimit(source: SourceSnapshot, n: number): void {
    const rate = source.rateLimitPerSecond ?? this.config.RATE_LIMIT_PER_SECOND;
    const wait = this.limiter.take(source.id, rate, n);
    if (wait > 0) throw new GatewayError(429, GatewayErrorCode.RateLimited, `Rate limit of ${rate} events/s for this source exceeded; retry after ${wait} s.`, wait);
  }

  /**
   * The raw event for one body (or batch item `index`). With an Idempotency-Key / webhook-id the
   * event id is derived from the source and the key (and the item's index in a batch), so a sender
   * retrying after an ambiguous 503 gets the id of the event that may already be stored.
   */
  toRawEvent(source: SourceSnapshot, call: HookCall, body: unknown, batchIndex: number | null = null): RawEventDto {
    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) {
      const v = call.headers[h];
      if (typeof v === 'string') headers[h] = v.slice(0, 1000);
    }
    const given = headers['idempotency-key'] ?? headers['webhook-id'] ?? null;
    const key = given === null || given.trim() === '' ? null : given.slice(0, 290);
    // One key names the whole batch; each item gets its own (else items 2… would be duplicates of 1).
    const idem = key === null ? null : batchIndex === null ? key : `${key}#${batchIndex}`;
    return {
      id: idem === null ? newId(IdPrefix.event) : stableId(IdPrefix.event, 'idempotency-key', source.id, idem),
      accountId: source.accountId,
      sourceId: source.id,
      receivedAt: new Date().toISOString(),
      contentType: call.mediaType,
      headers,
      body,
      clientIp: call.clientIp,
      idempotencyKey: idem,
      dialect: source.dialect,
      initiatedFrom: source.initiatedFrom,
      batch: batchIndex !== null,
      dedupe: source.dedupe,
    };
  }

  /**
   * The events.raw record of `event`, encoded once: its size is checked against MAX_RECORD_BYTES
   * here and the producer writes these very bytes.
   */
  toRecord(event: RawEventDto, traceparent: string | undefined): { message: OutboundMessage; bytes: number } {
    const value = new RawJson(JSON.stringify(event));
    const message: OutboundMessage = {
      key: event.sourceId,
      value,
      envelope: { id: event.id, type: 'hookstream.event.received', source: `/sources/${event.sourceId}`, time: event.receivedAt, traceparent: childTraceparent(traceparent) },
    };
    let bytes = Buffer.byteLength(event.sourceId) + value.bytes.length;
    for (const [k, v] of Object.entries(encodeHeaders(message) ?? {})) bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
    return { message, bytes };
  }

  /**
   * Resolves only once Kafka acknowledged every event (acks=all); else a 503 the sender can retry.
   * Overloaded: refused before queueing, so nothing was stored. A timeout is ambiguous: Kafka may
   * still have written the events, so the sender must retry with the same Idempotency-Key.
   */
  async publish(records: OutboundMessage[]): Promise<void> {
    const t0 = performance.now();
    try {
      await this.producer.send(Topics.eventsRaw, records);
      this.metrics.produceSeconds.observe((performance.now() - t0) / 1000);
      this.metrics.events.inc(records.length);
    } catch (err) {
      if (err instanceof ProducerOverloadedError) {
        throw new GatewayError(503, GatewayErrorCode.Overloaded, 'Too many events are waiting for the event log; nothing was stored. Retry after the indicated delay.', this.config.RETRY_AFTER_SECONDS);
      }
      if (err instanceof ProducerUnavailableError) {
        throw new GatewayError(
          503,
          GatewayErrorCode.Unavailable,
          'The event log did not confirm the event in time; it may or may not have been stored. Retry after the indicated delay with the same Idempotency-Key, so a stored event is not counted twice.',
          this.config.RETRY_AFTER_SECONDS,
        );
      }
      throw err;
    }
  }
}
