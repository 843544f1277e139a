/** What the feed projection needs to know; the projector's config class carries these variables. */
export interface FeedProjectionSettings {
  /** Keys the e-mail hash (`EmailHasher`), so the feed never stores an address. */
  SECRETS_KEY: string;
  /** Days of events the feed keeps; older daily partitions of `feed_events` are dropped. */
  FEED_RETENTION_DAYS: number;
  /** Daily partitions created ahead of time (the writer also creates a missing day on demand). */
  FEED_PARTITIONS_AHEAD_DAYS: number;
  /** How often partitions are maintained. */
  FEED_MAINTENANCE_INTERVAL_MS: number;
  /**
   * 'false': one upsert per consumed batch (per topic). Default: the batches of one event-loop turn
   * share one upsert, an event's raw row and verdict merged into one row (FeedWriterService.write).
   */
  FEED_COALESCE_WRITES?: 'true' | 'false';
  /**
   * How long (ms) an events.raw row may wait for its verdict, to be written with it as one row; 0 or
   * unset = written at once. Needs FEED_COALESCE_WRITES (FeedWriterService.hold).
   */
  FEED_RAW_HOLD_MS?: number;
}

export const FEED_PROJECTION_SETTINGS = Symbol('FEED_PROJECTION_SETTINGS');
