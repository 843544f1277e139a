import { DynamicModule, Module } from '@nestjs/common';
import { FeedConsumer } from './feed.consumer';
import { FeedPartitionsService } from './feed-partitions.service';
import { FEED_PROJECTION_SETTINGS, type FeedProjectionSettings } from './feed-projection.settings';
import { FeedRepository } from './feed.repository';
import { FeedWriterService } from './feed-writer.service';

/**
 * The feed projection: the consumer of the four event topics, the writer and the partition
 * maintenance. apps/projector runs it; nothing else writes `feed_events`.
 */
@Module({})
export class FeedProjectionModule {
  static register(settings: FeedProjectionSettings): DynamicModule {
    return {
      module: FeedProjectionModule,
      controllers: [FeedConsumer],
      providers: [{ provide: FEED_PROJECTION_SETTINGS, useValue: settings }, FeedRepository, FeedWriterService, FeedPartitionsService],
      exports: [FeedWriterService, FeedPartitionsService],
    };
  }
}
