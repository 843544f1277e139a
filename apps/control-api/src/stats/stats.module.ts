import { Module } from '@nestjs/common';
import { FeedRepository } from '@hookstream/feed-store';
import { AuthModule } from '../auth/auth.module';
import { StatsController } from './stats.controller';
import { StatsRepository } from './stats.repository';
import { StatsService } from './stats.service';

/** The dashboard's charts (events, deliveries, latency), aggregated from the read model. */
@Module({
  imports: [AuthModule],
  controllers: [StatsController],
  providers: [FeedRepository, StatsRepository, StatsService],
})
export class StatsModule {}
