import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

export enum GatewayErrorCode {
  InvalidJson = 'invalid_json',
  InvalidForm = 'invalid_form',
  InvalidBody = 'invalid_body',
  TooDeep = 'too_deep',
  Unauthorized = 'unauthorized',
  InvalidSignature = 'invalid_signature',
  StaleSignature = 'stale_signature',
  PayloadTooLarge = 'payload_too_large',
  RecordTooLarge = 'record_too_large',
  TooManyEvents = 'too_many_events',
  UnsupportedMediaType = 'unsupported_media_type',
  RateLimited = 'rate_limited',
  Unavailable = 'unavailable',
  Overloaded = 'overloaded',
  NotFound = 'not_found',
  Internal = 'internal_error',
}

/** The gateway's own error: a status, a stable code and a message that says what to do next. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: GatewayErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
    /** Extra members of the error object, e.g. the batch items a 413 refers to. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
}

/** Maps every failure — ours, Fastify's body parsing, Nest's — to `{"error":{"code","message"}}`. */
@Catch()
export class GatewayExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    sendGatewayError(host.switchToHttp().getResponse<FastifyReply>(), toGatewayError(exception));
  }
}

/** The one way an error reaches a client: its status, `Retry-After` when it has one, and the JSON body. */
export function sendGatewayError(reply: FastifyReply, e: GatewayError): void {
  if (e.retryAfterSeconds) void reply.header('retry-after', String(e.retryAfterSeconds));
  void reply.status(e.status).send({ error: { code: e.code, message: e.message, ...e.details } });
}

export function toGatewayError(exception: unknown): GatewayError {
  if (exception instanceof GatewayError) return exception;
  const f = exception as FastifyLikeError;
  switch (f?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError(413, GatewayErrorCode.PayloadTooLarge, 'The request body exceeds the size limit; split it or send a batch.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayError(415, GatewayErrorCode.UnsupportedMediaType, 'Send Content-Type application/json or application/x-www-form-urlencoded.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError(400, GatewayErrorCode.InvalidJson, 'The JSON body is empty.');
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 404) return new GatewayError(404, GatewayErrorCode.NotFound, 'No such route. Webhooks go to POST /v1/hooks/{sourceId}.');
    if (status === 415) return new GatewayError(415, GatewayErrorCode.UnsupportedMediaType, 'Send Content-Type application/json or application/x-www-form-urlencoded.');
    if (status === 413) return new GatewayError(413, GatewayErrorCode.PayloadTooLarge, 'The request body exceeds the size limit.');
    return new GatewayError(status, status >= 500 ? GatewayErrorCode.Internal : GatewayErrorCode.InvalidBody, exception.message);
  }
  if (typeof f?.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
    return new GatewayError(f.statusCode, GatewayErrorCode.InvalidBody, f.message ?? 'Bad request');
  }
  // A bug or an unforeseen failure: the client gets no detail, the log gets all of it.
  unexpectedLog.error(`unexpected error answered 500: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`);
  return new GatewayError(500, GatewayErrorCode.Internal, 'Unexpected error; retry later.');
}

const unexpectedLog = new Logger('GatewayErrors');
