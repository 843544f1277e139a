import { BaseAppConfig } from '@hookstream/config';
import { IsIn, IsInt, IsNumber, Max, Min } from 'class-validator';

export class ProjectorConfig extends BaseAppConfig {
  override HTTP_PORT = 3006;

  /** Days of events the feed keeps; older daily partitions of `feed_events` are dropped. */
  @IsInt() @Min(1) @Max(366) FEED_RETENTION_DAYS = 14;

  /** Daily feed partitions created ahead of time (the writer also creates a missing day on demand). */
  @IsInt() @Min(1) @Max(60) FEED_PARTITIONS_AHEAD_DAYS = 3;

  /** How often feed partitions are maintained (created ahead, expired ones dropped), enabled endpoints checked against the failing rule, and old dead-letter records deleted. */
  @IsInt() @Min(1000) FEED_MAINTENANCE_INTERVAL_MS = 3_600_000;

  /** An endpoint whose deliveries have failed continuously for this many days is disabled (Svix's rule). */
  @IsNumber() @Min(0.0001) @Max(365) ENDPOINT_DISABLE_AFTER_FAILING_DAYS = 5;

  /** Record the `*.dlq` topics in `dlq_messages` (listing, replay, discard through control-api); one group per deployment. */
  @IsIn(['true', 'false']) DLQ_RECORDER_ENABLED: 'true' | 'false' = 'true';

  /** Days `dlq_messages` keeps a record (pending or handled); older ones are deleted every FEED_MAINTENANCE_INTERVAL_MS. */
  @IsInt() @Min(1) @Max(3650) DLQ_RECORD_RETENTION_DAYS = 90;
}
