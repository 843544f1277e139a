import { BaseAppConfig } from '@hookstream/config';
import { IsInt, Max, Min } from 'class-validator';

export class ProjectorConfig extends BaseAppConfig {
  override HTTP_PORT = 3006;

  /** Days of events the feed keeps; older daily partitions of `feed_events` are dropped. */
  @IsInt() @Min(1) @Max(366) FEED_RETENTION_DAYS = 14;

  /** Daily feed partitions created ahead of time (the writer also creates a missing day on demand). */
  @IsInt() @Min(1) @Max(60) FEED_PARTITIONS_AHEAD_DAYS = 3;

  /** How often feed partitions are maintained (created ahead, expired ones dropped). */
  @IsInt() @Min(1000) FEED_MAINTENANCE_INTERVAL_MS = 3_600_000;
}
