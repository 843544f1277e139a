import { Inject, Injectable } from '@nestjs/common';
import type { RawEventDto, SourceSnapshot } from '@hookstream/contracts';
import { normaliseRaw } from '@hookstream/dialects';
import type { OutboundMessage } from '@hookstream/kafka';
import { APP_CONFIG } from '@hookstream/platform';
import type { GatewayConfig } from '../gateway.config';
import { GatewayError, GatewayErrorCode } from './gateway.errors';
import { IngestService, type IncomingHook } from './ingest.service';

/** One webhook request as the routes see it, once its body has been read and parsed. */
export interface HookCall {
  sourceId: string;
  /** `?token=`, as the query string parser gave it. */
  token: string | undefined;
  /** `?dry_run=`, as the query string parser gave it. */
  dryRun: string | undefined;
  headers: IncomingHook['headers'];
  /** The bytes as received (signatures are over these); empty when there was no body. */
  rawBody: Buffer;
  /** The parsed body; undefined when there was none. */
  body: unknown;
  clientIp: string | null;
  /** The source, when the caller already authenticated the request (before reading its body). */
  source?: SourceSnapshot;
  /** Set by the handler once the source is known (the dialect label of the request metric). */
  dialect?: string;
}

/** What to answer: the status and the JSON body. Failures are thrown as GatewayError. */
export interface HookAnswer {
  status: number;
  body: unknown;
}

/**
 * The webhook endpoints' rules — auth, signature, limits, shape, dry run, rate limit, publish —
 * independent of how the request reached them (see hooks.http.ts).
 */
@Injectable()
export class HooksHandler {
  constructor(private readonly ingest: IngestService, @Inject(APP_CONFIG) private readonly config: GatewayConfig) {}

  /** The source a request's URL (and Authorization header) names, or the 401 to answer. Reads no body. */
  authenticate(call: HookCall): SourceSnapshot {
    return this.ingest.authenticate(call.sourceId, incoming(call).token);
  }

  /** `POST /v1/hooks/:sourceId`. */
  async receive(call: HookCall): Promise<HookAnswer> {
    const hook = incoming(call);
    const source = call.source ?? this.ingest.authenticate(call.sourceId, hook.token);
    call.dialect = source.dialect;
    this.ingest.verifySignature(source, hook.headers, hook.rawBody);
    if (hook.rawBody.length > this.config.MAX_BODY_BYTES) {
      throw new GatewayError(413, GatewayErrorCode.PayloadTooLarge, `A single event may be at most ${this.config.MAX_BODY_BYTES} bytes; use /batch for more.`);
    }
    if (hook.body === null || typeof hook.body !== 'object' || Array.isArray(hook.body)) {
      throw new GatewayError(400, GatewayErrorCode.InvalidBody, 'The body must be a JSON object (use /batch for an array of events).');
    }
    const raw = this.ingest.toRawEvent(source, hook, hook.body);
    const records = this.records([raw], call);
    if (isTrue(call.dryRun)) return { status: 200, body: dryRunAnswer(raw) };
    this.ingest.rateLimit(source, 1);
    await this.ingest.publish(records);
    return { status: 202, body: { id: raw.id } };
  }

  /** `POST /v1/hooks/:sourceId/batch`. */
  async receiveBatch(call: HookCall): Promise<HookAnswer> {
    const hook = incoming(call);
    const source = call.source ?? this.ingest.authenticate(call.sourceId, hook.token);
    call.dialect = source.dialect;
    this.ingest.verifySignature(source, hook.headers, hook.rawBody);
    if (!Array.isArray(hook.body)) throw new GatewayError(400, GatewayErrorCode.InvalidBody, 'A batch body must be a JSON array of event objects.');
    if (hook.rawBody.length > this.config.BATCH_MAX_BYTES) {
      throw new GatewayError(413, GatewayErrorCode.PayloadTooLarge, `A batch may be at most ${this.config.BATCH_MAX_BYTES} bytes.`);
    }
    if (hook.body.length === 0 || hook.body.length > this.config.BATCH_MAX_EVENTS) {
      throw new GatewayError(hook.body.length === 0 ? 400 : 413, hook.body.length === 0 ? GatewayErrorCode.InvalidBody : GatewayErrorCode.TooManyEvents, `A batch holds 1 to ${this.config.BATCH_MAX_EVENTS} events; this one has ${hook.body.length}.`);
    }
    const bad = hook.body.findIndex((e) => e === null || typeof e !== 'object' || Array.isArray(e));
    if (bad >= 0) throw new GatewayError(400, GatewayErrorCode.InvalidBody, `Batch item ${bad} is not a JSON object.`);
    const raws = hook.body.map((e, i) => this.ingest.toRawEvent(source, hook, e, i));
    const records = this.records(raws, call);
    if (isTrue(call.dryRun)) return { status: 200, body: { results: raws.map(dryRunAnswer) } };
    this.ingest.rateLimit(source, raws.length);
    await this.ingest.publish(records);
    return { status: 202, body: { ids: raws.map((r) => r.id) } };
  }

  /**
   * The events.raw records, each within MAX_RECORD_BYTES, or a 413 naming every event that is not
   * (its batch index and size): nothing of the request is stored, the sender splits or trims those.
   */
  private records(raws: RawEventDto[], call: HookCall): OutboundMessage[] {
    const limit = this.config.MAX_RECORD_BYTES;
    const traceparent = header(call.headers, 'traceparent');
    const out: OutboundMessage[] = [];
    const tooLarge: { index: number; bytes: number }[] = [];
    raws.forEach((raw, index) => {
      const r = this.ingest.toRecord(raw, traceparent);
      if (r.bytes > limit) tooLarge.push({ index, bytes: r.bytes });
      out.push(r.message);
    });
    if (tooLarge.length === 0) return out;
    if (raws.length === 1 && raws[0].batch !== true) {
      throw new GatewayError(413, GatewayErrorCode.RecordTooLarge, `The event becomes a ${tooLarge[0].bytes}-byte record; at most ${limit} bytes fit. Trim it.`);
    }
    const shown = tooLarge.slice(0, 20).map((t) => `${t.index} (${t.bytes} bytes)`).join(', ');
    throw new GatewayError(
      413,
      GatewayErrorCode.RecordTooLarge,
      `${tooLarge.length} batch item(s) become records over ${limit} bytes: ${shown}${tooLarge.length > 20 ? ', …' : ''}. Nothing was stored; trim or drop those items and send the batch again.`,
      undefined,
      { items: tooLarge },
    );
  }
}

function incoming(call: HookCall): IncomingHook {
  return {
    sourceId: call.sourceId,
    token: call.token ?? bearer(header(call.headers, 'authorization')),
    headers: call.headers,
    rawBody: call.rawBody,
    body: call.body,
    contentType: (header(call.headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase(),
    clientIp: call.clientIp,
  };
}

function bearer(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(value);
  return m ? m[1].trim() : undefined;
}

function header(headers: HookCall['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isTrue(v: string | undefined): boolean {
  return v === 'true' || v === '1';
}

function dryRunAnswer(raw: ReturnType<IngestService['toRawEvent']>): unknown {
  const r = normaliseRaw(raw);
  return r.ok ? { valid: true, event: r.event } : { valid: false, reasons: r.reasons };
}
