import { BaseAppConfig } from '@hookstream/config';
import { IsInt, Max, Min } from 'class-validator';

export class AutomationConfig extends BaseAppConfig {
  override HTTP_PORT = 3004;
  /** Loop protection: events caused by automation stop triggering rules at this depth. */
  @IsInt() @Min(1) @Max(50) AUTOMATION_MAX_DEPTH = 5;
}
