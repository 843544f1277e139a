import { BaseAppConfig } from '@hookstream/config';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';

export class GatewayConfig extends BaseAppConfig {
  override HTTP_PORT = 3000;
  /** The base of the webhook URLs handed to users. */
  @IsString() @Matches(/^https?:\/\/[^/]+$/, { message: 'PUBLIC_BASE_URL must be an origin such as https://hooks.example.com (no path)' })
  PUBLIC_BASE_URL = 'http://127.0.0.1:3000';
  @IsInt() @Min(1024) @Max(10 * 1024 * 1024) MAX_BODY_BYTES = 1024 * 1024;
  @IsInt() @Min(1) @Max(10000) BATCH_MAX_EVENTS = 500;
  @IsInt() @Min(1024) @Max(50 * 1024 * 1024) BATCH_MAX_BYTES = 5 * 1024 * 1024;
  /** Per-source sustained rate when the source sets none. */
  @IsInt() @Min(1) @Max(1_000_000) RATE_LIMIT_PER_SECOND = 1000;
  /** Burst allowance as a multiple of one second's rate. */
  @IsInt() @Min(1) @Max(60) RATE_LIMIT_BURST_SECONDS = 2;
  /** Bound on waiting for Kafka's acks=all before answering 503. */
  @IsInt() @Min(100) @Max(60000) PRODUCE_TIMEOUT_MS = 5000;
  @IsInt() @Min(1) @Max(3600) RETRY_AFTER_SECONDS = 5;
}
