import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ProducerUnavailableError } from '@hookstream/kafka';
import type { FastifyReply } from 'fastify';
import { ApiError, ApiErrorCode, type ApiErrorBody } from './api-error';

const CODE_BY_STATUS: Record<number, ApiErrorCode> = {
  400: ApiErrorCode.badRequest,
  401: ApiErrorCode.unauthorized,
  403: ApiErrorCode.forbidden,
  404: ApiErrorCode.notFound,
  409: ApiErrorCode.conflict,
  413: ApiErrorCode.payloadTooLarge,
  415: ApiErrorCode.unsupportedMediaType,
};

/** Fastify's own errors (bad JSON, wrong content type, body too large) carry a statusCode. */
interface FastifyStyleError {
  statusCode: number;
  message: string;
}

function isFastifyStyleError(e: unknown): e is FastifyStyleError {
  return e instanceof Error && typeof (e as Partial<FastifyStyleError>).statusCode === 'number';
}

/** Turns anything thrown into `{"error": {"code", "message"}}` with the right status. */
export function toErrorResponse(exception: unknown): { status: number; body: ApiErrorBody | object; headers?: Record<string, string>; deliberate?: boolean } {
  if (exception instanceof ApiError) return { status: exception.getStatus(), body: exception.toBody() };
  if (exception instanceof ProducerUnavailableError) {
    // The change was rolled back (publishing happens before commit), so retrying is safe.
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      body: { error: { code: ApiErrorCode.configUnavailable, message: 'the configuration could not be published to Kafka; nothing was changed, try again' } },
      headers: { 'retry-after': '5' },
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const res = exception.getResponse();
    // A body given on purpose (e.g. readiness: `{status: "not_ready", checks}` from @hookstream/platform)
    // is answered as is, like every other app does; Nest's own `{statusCode, message, error}` is not.
    if (typeof res === 'object' && res !== null && !('message' in res) && !('statusCode' in res)) return { status, body: res, deliberate: true };
    const message = typeof res === 'string' ? res : typeof (res as { message?: unknown }).message === 'string' ? (res as { message: string }).message : exception.message;
    return { status, body: { error: { code: CODE_BY_STATUS[status] ?? (status >= 500 ? ApiErrorCode.internal : ApiErrorCode.badRequest), message } } };
  }
  if (isFastifyStyleError(exception) && exception.statusCode >= 400 && exception.statusCode < 500) {
    return { status: exception.statusCode, body: { error: { code: CODE_BY_STATUS[exception.statusCode] ?? ApiErrorCode.badRequest, message: exception.message } } };
  }
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, body: { error: { code: ApiErrorCode.internal, message: 'internal error' } } };
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const out = toErrorResponse(exception);
    if (out.status >= 500 && !out.deliberate) this.log.error({ err: exception, msg: 'request failed' });
    if (out.headers) void reply.headers(out.headers);
    void reply.status(out.status).send(out.body);
  }
}
