import { HttpException, HttpStatus } from '@nestjs/common';

/** Every error the control API answers with has one of these codes; clients branch on the code, not the text. */
export const ApiErrorCode = {
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  notFound: 'not_found',
  validationFailed: 'validation_failed',
  invalidUrl: 'invalid_url',
  invalidReference: 'invalid_reference',
  invalidCursor: 'invalid_cursor',
  conflict: 'conflict',
  payloadTooLarge: 'payload_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  badRequest: 'bad_request',
  configUnavailable: 'config_unavailable',
  deliveryUnavailable: 'delivery_unavailable',
  eventLogUnavailable: 'event_log_unavailable',
  tooManyStreams: 'too_many_streams',
  kafkaUnavailable: 'kafka_unavailable',
  internal: 'internal_error',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

export interface ApiErrorDetail {
  field?: string;
  code?: string;
  message: string;
}

export interface ApiErrorBody {
  error: { code: string; message: string; details?: ApiErrorDetail[] };
}

export class ApiError extends HttpException {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    status: HttpStatus,
    readonly details?: ApiErrorDetail[],
  ) {
    super(message, status);
  }

  static notFound(what: string, id: string): ApiError {
    return new ApiError(ApiErrorCode.notFound, `${what} ${id} not found`, HttpStatus.NOT_FOUND);
  }

  static validation(message: string, details?: ApiErrorDetail[]): ApiError {
    return new ApiError(ApiErrorCode.validationFailed, message, HttpStatus.BAD_REQUEST, details);
  }

  toBody(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details?.length ? { details: this.details } : {}) } };
  }
}
