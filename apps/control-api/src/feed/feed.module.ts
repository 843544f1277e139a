import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { DeliveriesModule } from '../deliveries/deliveries.module';
import { FeedConsumer } from './feed.consumer';
import { FeedController } from './feed.controller';
import { FeedPartitionsService } from './feed-partitions.service';
import { FeedRepository } from './feed.repository';
import { FeedService } from './feed.service';
import { FeedStreamService } from './feed-stream.service';

@Module({
  imports: [AuthModule, DeliveriesModule],
  controllers: [FeedController, FeedConsumer],
  providers: [FeedRepository, FeedService, FeedPartitionsService, FeedStreamService],
  exports: [FeedService, FeedPartitionsService, FeedStreamService],
})
export class FeedModule {}
