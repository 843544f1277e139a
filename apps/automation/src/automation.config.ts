import { BaseAppConfig } from '@hookstream/config';
import { IsIn, IsInt, Max, Min } from 'class-validator';

export class AutomationConfig extends BaseAppConfig {
  override HTTP_PORT = 3004;
  /** Loop protection: events caused by automation stop triggering rules at this depth. */
  @IsInt() @Min(1) @Max(50) AUTOMATION_MAX_DEPTH = 5;
  /**
   * Batches of several partitions handled at the same time share one contacts read and one
   * compare-and-set write statement ('true'). Off by default: it cuts CPU per event at low load, but
   * the latency A/B on a shared machine was not better (bench/README.md).
   */
  @IsIn(['true', 'false']) AUTOMATION_COALESCE_STATEMENTS: 'true' | 'false' = 'false';
  /**
   * 'false': automation does not consume contact-events at all. Everything this version publishes
   * there is marked `hookstream_planned: automation` and was planned with its cause, so the consumer
   * only commits past it; it is needed for unmarked records, published by a version before the mark.
   * Set 'false' only where no such version ever ran or all its records were consumed (README).
   */
  @IsIn(['true', 'false']) AUTOMATION_CONSUME_CONTACT_EVENTS: 'true' | 'false' = 'true';
}
