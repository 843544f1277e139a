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
   * Whether automation consumes contact-events. Everything this version publishes there is marked
   * `hookstream_planned: automation` and was planned with its cause, so the consumer only commits
   * past it; it is needed for unmarked records, published by a version before the mark.
   * 'auto' (default): consumed only where this group has consumed the topic before (a committed
   * offset), i.e. an installation upgraded from such a version; a new one never subscribes.
   * 'true': always consumed. 'false': never (README: when that is safe).
   */
  @IsIn(['auto', 'true', 'false']) AUTOMATION_CONSUME_CONTACT_EVENTS: 'auto' | 'true' | 'false' = 'auto';
}
