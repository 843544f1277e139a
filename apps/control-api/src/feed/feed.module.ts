import { Module } from '@nestjs/common';
import { DeliveryRecordsRepository } from '@hookstream/delivery-store';
import { FeedRepository } from '@hookstream/feed-store';
import { AuthModule } from '../auth/auth.module';
import { FeedController } from './feed.controller';
import { FeedService } from './feed.service';
import { FeedStreamService } from './feed-stream.service';

/** The feed's API: list, story and the live stream. The projector (apps/projector) writes it. */
@Module({
  imports: [AuthModule],
  controllers: [FeedController],
  providers: [FeedRepository, DeliveryRecordsRepository, FeedService, FeedStreamService],
  exports: [FeedService, FeedStreamService],
})
export class FeedModule {}
