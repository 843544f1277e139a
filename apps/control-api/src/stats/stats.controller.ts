import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCaller, type Caller } from '../auth/caller';
import { DeliveryStatsView, EventStatsView, LatencyQueryDto, LatencyStatsView, StatsQueryDto } from './stats.dto';
import { StatsService } from './stats.service';

@ApiTags('stats')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get('events')
  @ApiOkResponse({ type: EventStatsView, description: 'Events received per bucket by feed status (the dashboard plots them per minute)' })
  events(@CurrentCaller() caller: Caller, @Query() q: StatsQueryDto): Promise<EventStatsView> {
    return this.stats.events(caller.accountId, q.window ?? '1h');
  }

  @Get('deliveries')
  @ApiOkResponse({ type: DeliveryStatsView, description: 'Deliveries created per bucket, by their current status' })
  deliveries(@CurrentCaller() caller: Caller, @Query() q: StatsQueryDto): Promise<DeliveryStatsView> {
    return this.stats.deliveries(caller.accountId, q.window ?? '1h');
  }

  @Get('latency')
  @ApiOkResponse({ type: LatencyStatsView, description: 'Attempt latency p50/p99 of the busiest endpoints, over the window and per bucket' })
  latency(@CurrentCaller() caller: Caller, @Query() q: LatencyQueryDto): Promise<LatencyStatsView> {
    return this.stats.latency(caller.accountId, q.window ?? '24h', q.endpoints ?? 5);
  }
}
