import { Module } from '@nestjs/common';
import { DeliveryStatsRepository } from '@hookstream/delivery-store';
import { FeedRepository } from '@hookstream/feed-store';
import { AuthModule } from '../auth/auth.module';
import { StatsController } from './stats.controller';
import { StatsService } from './stats.service';

/** The dashboard's charts (events, deliveries, latency), aggregated from the read model. */
@Module({
  imports: [AuthModule],
  controllers: [StatsController],
  providers: [FeedRepository, DeliveryStatsRepository, StatsService],
})
export class StatsModule {}
