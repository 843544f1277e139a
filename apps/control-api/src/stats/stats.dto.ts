import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { FEED_STATUSES, type FeedStatus } from '@hookstream/feed-store';
import { DELIVERY_STATUSES, type DeliveryStatus } from '@hookstream/delivery-store';
import { STATS_WINDOWS, type StatsWindow } from './stats-buckets';

export const MAX_LATENCY_ENDPOINTS = 20;

export class StatsQueryDto {
  @ApiPropertyOptional({ enum: STATS_WINDOWS, default: '1h', description: 'how far back the chart reaches, ending now' })
  @IsOptional() @IsIn(STATS_WINDOWS, { message: `window must be one of ${STATS_WINDOWS.join(', ')}` })
  window?: StatsWindow;
}

export class LatencyQueryDto {
  @ApiPropertyOptional({ enum: STATS_WINDOWS, default: '24h' })
  @IsOptional() @IsIn(STATS_WINDOWS, { message: `window must be one of ${STATS_WINDOWS.join(', ')}` })
  window?: StatsWindow;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_LATENCY_ENDPOINTS, default: 5, description: 'the endpoints with the most sent attempts in the window' })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_LATENCY_ENDPOINTS)
  endpoints?: number;
}

class TimeGrid {
  @ApiProperty({ description: 'start of the window (inclusive)' }) from!: string;
  @ApiProperty({ description: 'end of the window (exclusive): the bucket boundary after now' }) to!: string;
  @ApiProperty({ description: 'width of each bucket' }) bucketSeconds!: number;
  @ApiProperty({ type: [String], description: 'start of each bucket, oldest first; every series has one value per bucket' }) buckets!: string[];
}

export class EventCountSeries {
  @ApiProperty({ enum: FEED_STATUSES, description: 'feed status: received (no verdict yet), accepted, rejected, duplicate' }) key!: FeedStatus;
  @ApiProperty() total!: number;
  @ApiProperty({ type: [Number], description: 'events received in each bucket' }) counts!: number[];
}

export class EventStatsView extends TimeGrid {
  @ApiProperty({ type: [EventCountSeries] }) series!: EventCountSeries[];
}

export class DeliveryCountSeries {
  @ApiProperty({ enum: DELIVERY_STATUSES, description: 'current status of the deliveries created in the bucket (failed = retrying)' }) key!: DeliveryStatus;
  @ApiProperty() total!: number;
  @ApiProperty({ type: [Number] }) counts!: number[];
}

export class DeliveryStatsView extends TimeGrid {
  @ApiProperty({ type: [DeliveryCountSeries] }) series!: DeliveryCountSeries[];
}

export class EndpointLatencySeries {
  @ApiProperty() endpointId!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ description: 'sent attempts in the window' }) attempts!: number;
  @ApiProperty({ description: 'median attempt latency over the window, ms' }) p50!: number;
  @ApiProperty({ description: '99th percentile over the window, ms' }) p99!: number;
  @ApiProperty({ type: [Number], nullable: true, description: 'median per bucket, ms; null where the bucket has no attempt' }) p50s!: (number | null)[];
  @ApiProperty({ type: [Number], nullable: true }) p99s!: (number | null)[];
}

export class LatencyStatsView extends TimeGrid {
  @ApiProperty({ type: [EndpointLatencySeries], description: 'busiest endpoints first' }) endpoints!: EndpointLatencySeries[];
}
