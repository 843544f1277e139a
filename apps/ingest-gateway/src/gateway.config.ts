import { BaseAppConfig } from '@hookstream/config';
import { RAW_RECORD_MAX_BYTES } from '@hookstream/contracts';
import { IsInt, IsString, Matches, Max, Min, Validate, ValidatorConstraint, type ValidationArguments, type ValidatorConstraintInterface } from 'class-validator';

/** HTTP_HEADERS_TIMEOUT_MS may not exceed HTTP_REQUEST_TIMEOUT_MS (Node refuses to start otherwise). */
@ValidatorConstraint({ name: 'headersWithinRequest' })
class HeadersWithinRequest implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    return typeof value === 'number' && value <= (args.object as GatewayConfig).HTTP_REQUEST_TIMEOUT_MS;
  }
  defaultMessage(): string {
    return 'HTTP_HEADERS_TIMEOUT_MS must be at most HTTP_REQUEST_TIMEOUT_MS';
  }
}

export class GatewayConfig extends BaseAppConfig {
  override HTTP_PORT = 3000;
  /** The base of the webhook URLs handed to users. */
  @IsString() @Matches(/^https?:\/\/[^/]+$/, { message: 'PUBLIC_BASE_URL must be an origin such as https://hooks.example.com (no path)' })
  PUBLIC_BASE_URL = 'http://127.0.0.1:3000';
  @IsInt() @Min(1024) @Max(10 * 1024 * 1024) MAX_BODY_BYTES = 1024 * 1024;
  @IsInt() @Min(1) @Max(10000) BATCH_MAX_EVENTS = 500;
  @IsInt() @Min(1024) @Max(50 * 1024 * 1024) BATCH_MAX_BYTES = 5 * 1024 * 1024;
  /**
   * Largest events.raw record (value + key + headers) per event; a bigger event is 413
   * record_too_large. At most RAW_RECORD_MAX_BYTES, which the topics' max.message.bytes is sized for.
   */
  @IsInt() @Min(4096) @Max(RAW_RECORD_MAX_BYTES) MAX_RECORD_BYTES = RAW_RECORD_MAX_BYTES;
  /** Per-source sustained rate when the source sets none. */
  @IsInt() @Min(1) @Max(1_000_000) RATE_LIMIT_PER_SECOND = 1000;
  /** Burst allowance as a multiple of one second's rate. */
  @IsInt() @Min(1) @Max(60) RATE_LIMIT_BURST_SECONDS = 2;
  /** Bound on waiting for Kafka's acks=all before answering 503. */
  @IsInt() @Min(100) @Max(60000) PRODUCE_TIMEOUT_MS = 5000;
  @IsInt() @Min(1) @Max(3600) RETRY_AFTER_SECONDS = 5;
  /** Encoded bytes waiting for Kafka (all requests together); past it, 503 at once. */
  @IsInt() @Min(1024 * 1024) @Max(4 * 1024 * 1024 * 1024) PRODUCER_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
  /** Requests waiting for Kafka's acknowledgement (all sources together); past it, 503 at once. */
  @IsInt() @Min(1) @Max(1_000_000) PRODUCER_MAX_PENDING_SENDS = 10_000;
  /** The whole request, headers and body, must arrive within this (Node's requestTimeout); else 408 and closed. */
  @IsInt() @Min(1000) @Max(600_000) HTTP_REQUEST_TIMEOUT_MS = 30_000;
  /** The request headers must arrive within this (Node's headersTimeout); else 408 and closed. */
  @IsInt() @Min(500) @Max(600_000) @Validate(HeadersWithinRequest) HTTP_HEADERS_TIMEOUT_MS = 10_000;
  /** An idle keep-alive connection is closed after this. */
  @IsInt() @Min(1000) @Max(600_000) HTTP_KEEP_ALIVE_TIMEOUT_MS = 72_000;
  /** A connection on which no byte moves for this long is closed (Fastify's connectionTimeout). */
  @IsInt() @Min(1000) @Max(600_000) HTTP_CONNECTION_TIMEOUT_MS = 75_000;
}
