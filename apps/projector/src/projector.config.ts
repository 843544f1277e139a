import { BaseAppConfig } from '@hookstream/config';
import { IsIn, IsInt, IsNumber, Max, Min } from 'class-validator';

export class ProjectorConfig extends BaseAppConfig {
  override HTTP_PORT = 3006;

  /**
   * The projector's consumer fetches again no sooner than this long after a batch of fewer than 500
   * records started (KAFKA_FETCH_LINGER_MS, 10 by default, is the other apps' setting): a read model
   * gains nothing from writing every few milliseconds, and each fetch cycle costs a Fetch, an
   * OffsetCommit and a PostgreSQL statement per topic. At fan-out 10 delivery-results arrive as a
   * trickle of small batches (bench/README.md, 'Projector: fewer, larger batches'). A full batch
   * (a backlog) never waits. Rows are written and committed as before, only later by at most this.
   */
  @IsInt() @Min(0) @Max(1000) PROJECTOR_FETCH_LINGER_MS = 100;

  /**
   * Partitions whose batches are handled at once (kafkajs partitionsConsumedConcurrently). The
   * projector reads five topics of 6 partitions; with fewer slots than partitions the batches of one
   * fetch run in waves, each lingering PROJECTOR_FETCH_LINGER_MS.
   */
  @IsInt() @Min(1) @Max(256) PROJECTOR_PARTITIONS_CONCURRENTLY = 32;

  /** Days of events the feed keeps; older daily partitions of `feed_events` are dropped. */
  @IsInt() @Min(1) @Max(366) FEED_RETENTION_DAYS = 14;

  /** Daily feed partitions created ahead of time (the writer also creates a missing day on demand). */
  @IsInt() @Min(1) @Max(60) FEED_PARTITIONS_AHEAD_DAYS = 3;

  /**
   * 'true': the feed batches of one fetch (events.raw, .enriched, .rejected, .duplicate) share one
   * upsert, and an event whose raw request and verdict arrive together is written as one row.
   * 'false': one upsert per topic's batch (the raw row inserted, its verdict an update of it).
   */
  @IsIn(['true', 'false']) FEED_COALESCE_WRITES: 'true' | 'false' = 'true';

  /**
   * How long (ms) an events.raw row waits for its verdict (events.enriched, .rejected or .duplicate)
   * before it is written alone. The two then become one row insert instead of an insert and an
   * update of every index (bench/README.md, session 18). The commit of events.raw waits for the
   * rows (deferred: the consumer fetches on), and an event without a verdict yet appears in the
   * feed's table this much later (the live tail reads Kafka, not the table). 0 = write at once.
   */
  @IsInt() @Min(0) @Max(5000) FEED_RAW_HOLD_MS = 1000;

  /** How often feed partitions are maintained (created ahead, expired ones dropped), enabled endpoints checked against the failing rule, and old dead-letter records deleted. */
  @IsInt() @Min(1000) FEED_MAINTENANCE_INTERVAL_MS = 3_600_000;

  /** An endpoint whose deliveries have failed continuously for this many days is disabled (Svix's rule). */
  @IsNumber() @Min(0.0001) @Max(365) ENDPOINT_DISABLE_AFTER_FAILING_DAYS = 5;

  /** Record the `*.dlq` topics in `dlq_messages` (listing, replay, discard through control-api); one group per deployment. */
  @IsIn(['true', 'false']) DLQ_RECORDER_ENABLED: 'true' | 'false' = 'true';

  /** Days `dlq_messages` keeps a record (pending or handled); older ones are deleted every FEED_MAINTENANCE_INTERVAL_MS. */
  @IsInt() @Min(1) @Max(3650) DLQ_RECORD_RETENTION_DAYS = 90;
}
