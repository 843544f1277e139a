import { Inject, Injectable } from '@nestjs/common';
import type { RawEventDto, SourceSnapshot } from '@hookstream/contracts';
import { normaliseRaw } from '@hookstream/dialects';
import type { OutboundMessage } from '@hookstream/kafka';
import { APP_CONFIG } from '@hookstream/platform';
import type { GatewayConfig } from '../gateway.config';
import { GatewayError, GatewayErrorCode } from './gateway.errors';
import { header, type HookCall } from './hook-call';
import { IngestService } from './ingest.service';

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
  constructor(private readonly service: IngestService, @Inject(APP_CONFIG) private readonly config: GatewayConfig) {}

  /** The source a request's URL (and Authorization header) names, or the 401 to answer. Reads no body. */
  authenticate(call: HookCall): SourceSnapshot {
    return this.service.authenticate(call.sourceId, call.token);
  }

  /**
   * Both routes: a single event is a batch of one, with its own limits. Auth (unless done before
   * the body was read), signature, limits and shape, the records, then the dry-run verdict or
   * the rate limit and publish; 202 only once Kafka has every event.
   */
  async ingest(call: HookCall): Promise<HookAnswer> {
    const source = call.source ?? this.service.authenticate(call.sourceId, call.token);
    call.dialect = source.dialect;
    this.service.verifySignature(source, call.headers, call.rawBody);
    const events = this.events(call);
    const raws = events.map((e, i) => this.service.toRawEvent(source, call, e, call.kind === 'batch' ? i : null));
    const records = this.records(raws, call);
    if (call.dryRun) return { status: 200, body: call.kind === 'batch' ? { results: raws.map(dryRunAnswer) } : dryRunAnswer(raws[0]) };
    this.service.rateLimit(source, raws.length);
    await this.service.publish(records);
    return { status: 202, body: call.kind === 'batch' ? { ids: raws.map((r) => r.id) } : { id: raws[0].id } };
  }

  /** The events of a request's body within its route's limits, or the 400/413 to answer. */
  private events(call: HookCall): object[] {
    const body = call.body;
    if (call.kind === 'single') {
      if (call.rawBody.length > this.config.MAX_BODY_BYTES) {
        throw new GatewayError(413, GatewayErrorCode.PayloadTooLarge, `A single event may be at most ${this.config.MAX_BODY_BYTES} bytes; use /batch for more.`);
      }
      if (!isObject(body)) throw new GatewayError(400, GatewayErrorCode.InvalidBody, 'The body must be a JSON object (use /batch for an array of events).');
      return [body];
    }
    if (!Array.isArray(body)) throw new GatewayError(400, GatewayErrorCode.InvalidBody, 'A batch body must be a JSON array of event objects.');
    if (call.rawBody.length > this.config.BATCH_MAX_BYTES) {
      throw new GatewayError(413, GatewayErrorCode.PayloadTooLarge, `A batch may be at most ${this.config.BATCH_MAX_BYTES} bytes.`);
    }
    if (body.length === 0 || body.length > this.config.BATCH_MAX_EVENTS) {
      throw new GatewayError(body.length === 0 ? 400 : 413, body.length === 0 ? GatewayErrorCode.InvalidBody : GatewayErrorCode.TooManyEvents, `A batch holds 1 to ${this.config.BATCH_MAX_EVENTS} events; this one has ${body.length}.`);
    }
    const bad = body.findIndex((e) => !isObject(e));
    if (bad >= 0) throw new GatewayError(400, GatewayErrorCode.InvalidBody, `Batch item ${bad} is not a JSON object.`);
    return body as object[];
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
      const r = this.service.toRecord(raw, traceparent);
      if (r.bytes > limit) tooLarge.push({ index, bytes: r.bytes });
      out.push(r.message);
    });
    if (tooLarge.length === 0) return out;
    if (call.kind === 'single') {
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

function isObject(v: unknown): v is object {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function dryRunAnswer(raw: RawEventDto): unknown {
  const r = normaliseRaw(raw);
  return r.ok ? { valid: true, event: r.event } : { valid: false, reasons: r.reasons };
}
