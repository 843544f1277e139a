import { Inject, Injectable } from '@nestjs/common';
import { normaliseRaw } from '@hookstream/dialects';
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

  /** `POST /v1/hooks/:sourceId`. */
  async receive(call: HookCall): Promise<HookAnswer> {
    const hook = incoming(call);
    const source = this.ingest.authenticate(call.sourceId, hook.token);
    this.ingest.verifySignature(source, hook.headers, hook.rawBody);
    if (hook.rawBody.length > this.config.MAX_BODY_BYTES) {
      throw new GatewayError(413, GatewayErrorCode.PayloadTooLarge, `A single event may be at most ${this.config.MAX_BODY_BYTES} bytes; use /batch for more.`);
    }
    if (hook.body === null || typeof hook.body !== 'object' || Array.isArray(hook.body)) {
      throw new GatewayError(400, GatewayErrorCode.InvalidBody, 'The body must be a JSON object (use /batch for an array of events).');
    }
    const raw = this.ingest.toRawEvent(source, hook, hook.body);
    if (isTrue(call.dryRun)) return { status: 200, body: dryRunAnswer(raw) };
    this.ingest.rateLimit(source, 1);
    await this.ingest.publish([raw], header(call.headers, 'traceparent'));
    return { status: 202, body: { id: raw.id } };
  }

  /** `POST /v1/hooks/:sourceId/batch`. */
  async receiveBatch(call: HookCall): Promise<HookAnswer> {
    const hook = incoming(call);
    const source = this.ingest.authenticate(call.sourceId, hook.token);
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
    const raws = hook.body.map((e) => this.ingest.toRawEvent(source, hook, e, true));
    if (isTrue(call.dryRun)) return { status: 200, body: { results: raws.map(dryRunAnswer) } };
    this.ingest.rateLimit(source, raws.length);
    await this.ingest.publish(raws, header(call.headers, 'traceparent'));
    return { status: 202, body: { ids: raws.map((r) => r.id) } };
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
