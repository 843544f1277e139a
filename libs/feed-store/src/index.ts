// The owner of `feed_events`: its statuses, row types, and the only code that reads or writes it.
export * from './feed-rows';
export * from './feed-messages';
export * from './email-hash';
export * from './feed.repository';
export * from './feed-partitions.service';
export * from './feed-writer.service';
export * from './feed-projection.settings';
export * from './feed-projection.module';
