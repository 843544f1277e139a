import { Inject, Injectable } from '@nestjs/common';
import {
  IdPrefix, newId, Topics, type RawEventDto, type SourceSnapshot, childTraceparent,
} from '@hookstream/contracts';
import { EVENT_PRODUCER, ProducerUnavailableError, type EventProducer } from '@hookstream/kafka';
import { APP_CONFIG } from '@hookstream/platform';
import { matchToken, SecretBox, verify, verifyHmacHex } from '@hookstream/webhooks';
import type { GatewayConfig } from '../gateway.config';
import { SourceCache } from '../sources/source-cache.service';
import { GatewayError, GatewayErrorCode } from './gateway.errors';
import { RateLimiter } from './rate-limiter';

export interface IncomingHook {
  sourceId: string;
  token: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  body: unknown;
  contentType: string;
  clientIp: string | null;
}

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

  verifySignature(source: SourceSnapshot, headers: IncomingHook['headers'], rawBody: Buffer): void {
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

  toRawEvent(source: SourceSnapshot, hook: IncomingHook, body: unknown, batch = false): RawEventDto {
    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) {
      const v = hook.headers[h];
      if (typeof v === 'string') headers[h] = v.slice(0, 1000);
    }
    const idem = headers['idempotency-key'] ?? headers['webhook-id'] ?? null;
    return {
      id: newId(IdPrefix.event),
      accountId: source.accountId,
      sourceId: source.id,
      receivedAt: new Date().toISOString(),
      contentType: hook.contentType,
      headers,
      body,
      clientIp: hook.clientIp,
      idempotencyKey: idem ? idem.slice(0, 300) : null,
      dialect: source.dialect,
      initiatedFrom: source.initiatedFrom,
      batch,
      dedupe: source.dedupe,
    };
  }

  /** Resolves only once Kafka acknowledged every event (acks=all); else a 503 the sender can retry. */
  async publish(events: RawEventDto[], traceparent: string | undefined): Promise<void> {
    try {
      await this.producer.send(
        Topics.eventsRaw,
        events.map((e) => ({
          key: e.sourceId,
          value: e,
          envelope: { id: e.id, type: 'hookstream.event.received', source: `/sources/${e.sourceId}`, time: e.receivedAt, traceparent: childTraceparent(traceparent) },
        })),
      );
    } catch (err) {
      if (err instanceof ProducerUnavailableError) {
        throw new GatewayError(503, GatewayErrorCode.Unavailable, 'The event log is unavailable; nothing was stored. Retry after the indicated delay.', this.config.RETRY_AFTER_SECONDS);
      }
      throw err;
    }
  }
}
