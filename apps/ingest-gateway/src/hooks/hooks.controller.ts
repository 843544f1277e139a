import { Controller, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { normaliseRaw } from '@hookstream/dialects';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Inject } from '@nestjs/common';
import { APP_CONFIG } from '@hookstream/platform';
import type { GatewayConfig } from '../gateway.config';
import { GatewayError, GatewayErrorCode } from './gateway.errors';
import { IngestService, type IncomingHook } from './ingest.service';

type HookRequest = FastifyRequest & { rawBody?: Buffer };

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header);
  return m ? m[1].trim() : undefined;
}

@Controller('v1/hooks')
export class HooksController {
  constructor(private readonly ingest: IngestService, @Inject(APP_CONFIG) private readonly config: GatewayConfig) {}

  @Post(':sourceId')
  @HttpCode(202)
  async receive(@Param('sourceId') sourceId: string, @Query('token') token: string | undefined, @Query('dry_run') dryRun: string | undefined, @Req() req: HookRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const hook = this.incoming(sourceId, token, req);
    const source = this.ingest.authenticate(sourceId, hook.token);
    this.ingest.verifySignature(source, hook.headers, hook.rawBody);
    if (hook.rawBody.length > this.config.MAX_BODY_BYTES) {
      throw new GatewayError(413, GatewayErrorCode.PayloadTooLarge, `A single event may be at most ${this.config.MAX_BODY_BYTES} bytes; use /batch for more.`);
    }
    if (hook.body === null || typeof hook.body !== 'object' || Array.isArray(hook.body)) {
      throw new GatewayError(400, GatewayErrorCode.InvalidBody, 'The body must be a JSON object (use /batch for an array of events).');
    }
    const raw = this.ingest.toRawEvent(source, hook, hook.body);
    if (isTrue(dryRun)) {
      void reply.status(200);
      return dryRunAnswer(raw);
    }
    this.ingest.rateLimit(source, 1);
    await this.ingest.publish([raw], header(req, 'traceparent'));
    return { id: raw.id };
  }

  @Post(':sourceId/batch')
  @HttpCode(202)
  async receiveBatch(@Param('sourceId') sourceId: string, @Query('token') token: string | undefined, @Query('dry_run') dryRun: string | undefined, @Req() req: HookRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const hook = this.incoming(sourceId, token, req);
    const source = this.ingest.authenticate(sourceId, hook.token);
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
    if (isTrue(dryRun)) {
      void reply.status(200);
      return { results: raws.map(dryRunAnswer) };
    }
    this.ingest.rateLimit(source, raws.length);
    await this.ingest.publish(raws, header(req, 'traceparent'));
    return { ids: raws.map((r) => r.id) };
  }

  private incoming(sourceId: string, token: string | undefined, req: HookRequest): IncomingHook {
    return {
      sourceId,
      token: token ?? bearer(header(req, 'authorization')),
      headers: req.headers,
      rawBody: req.rawBody ?? Buffer.alloc(0),
      body: req.body,
      contentType: (header(req, 'content-type') ?? '').split(';')[0].trim().toLowerCase(),
      clientIp: req.ip ?? null,
    };
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isTrue(v: string | undefined): boolean {
  return v === 'true' || v === '1';
}

function dryRunAnswer(raw: ReturnType<IngestService['toRawEvent']>): unknown {
  const r = normaliseRaw(raw);
  return r.ok ? { valid: true, event: r.event } : { valid: false, reasons: r.reasons };
}
