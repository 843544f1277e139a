import { BaseAppConfig } from '@hookstream/config';
import { IsInt, Max, Min } from 'class-validator';

export class ValidatorConfig extends BaseAppConfig {
  override HTTP_PORT = 3002;
  /** How long dedupe keys are kept; the issue asks for at least 4 days. */
  @IsInt() @Min(4) @Max(90) DEDUPE_RETENTION_DAYS = 4;
  /** How often each replica deletes expired dedupe keys (in statements of DEDUPE_PURGE_BATCH, until none is left). */
  @IsInt() @Min(1000) @Max(86_400_000) DEDUPE_PURGE_INTERVAL_MS = 60_000;
  @IsInt() @Min(1) @Max(100_000) DEDUPE_PURGE_BATCH = 10_000;
}
