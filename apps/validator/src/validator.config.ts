import { BaseAppConfig } from '@hookstream/config';
import { IsInt, Max, Min } from 'class-validator';

export class ValidatorConfig extends BaseAppConfig {
  override HTTP_PORT = 3002;
  /** How long dedupe keys are kept; the issue asks for at least 4 days. */
  @IsInt() @Min(4) @Max(90) DEDUPE_RETENTION_DAYS = 4;
}
