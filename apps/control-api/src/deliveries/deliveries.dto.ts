import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../common/pagination';
import { DELIVERY_STATUSES, type DeliveryStatus } from '@hookstream/delivery-store';

export class AttemptView {
  @ApiProperty() attempt!: number;
  @ApiProperty({ enum: ['succeeded', 'failed', 'exhausted', 'endpoint_disabled', 'skipped'] }) outcome!: string;
  @ApiProperty({ nullable: true, type: Number }) httpStatus!: number | null;
  @ApiProperty() latencyMs!: number;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty() attemptedAt!: string;
  @ApiProperty({ nullable: true, type: String, description: 'first 4 KiB' }) responseBody!: string | null;
}

/** What every view of a delivery shows: its endpoint and where it stands. */
class DeliveryState {
  @ApiProperty() id!: string;
  @ApiProperty() endpointId!: string;
  @ApiProperty({ nullable: true, type: String, description: 'null once the endpoint was deleted' }) endpointUrl!: string | null;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status!: DeliveryStatus;
  @ApiProperty() attempts!: number;
  @ApiProperty({ nullable: true, type: Number }) lastHttpStatus!: number | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty({ nullable: true, type: String }) nextAttemptAt!: string | null;
}

/** A delivery in an event's story (the feed): its state and attempt log. */
export class EventDeliveryView extends DeliveryState {
  @ApiProperty({ type: [AttemptView] }) attemptLog!: AttemptView[];
}

export class DeliveryQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) endpointId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) eventId?: string;
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES }) @IsOptional() @IsIn(DELIVERY_STATUSES) status?: DeliveryStatus;
}

export class DeliverySummary extends DeliveryState {
  @ApiProperty({ description: 'the Standard Webhooks webhook-id, the same on every attempt' }) webhookId!: string;
  @ApiProperty() eventId!: string;
  @ApiProperty() eventType!: string;
  @ApiProperty() createdAt!: string;
}

export class DeliveryDetailView extends DeliverySummary {
  @ApiProperty({ type: [AttemptView] }) attemptLog!: AttemptView[];
}

export class DeliveryPage {
  @ApiProperty({ type: [DeliverySummary] }) data!: DeliverySummary[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class ReplayDto {
  @ApiProperty({ description: "re-queue the endpoint's deliveries created at or after this time (ISO 8601)" }) @IsISO8601({ strict: true }) since!: string;
}

export class ReplayView {
  @ApiProperty({ description: 'deliveries made due now' }) count!: number;
}

export class SampleDto {
  @ApiProperty({ example: 'contact.tag_added' })
  @IsString() @MaxLength(100) @Matches(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, { message: 'eventType must look like purchase or contact.tag_added' })
  eventType!: string;
}

export class SampleView {
  @ApiProperty({ enum: ['succeeded', 'failed', 'endpoint_disabled'] }) outcome!: string;
  @ApiProperty({ nullable: true, type: Number }) httpStatus!: number | null;
  @ApiProperty() latencyMs!: number;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
}

class AttemptCounts {
  @ApiProperty() attempts!: number;
  @ApiProperty() succeeded!: number;
  @ApiProperty() failed!: number;
}

export class EndpointHealthView {
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ nullable: true, type: String }) disabledReason!: string | null;
  @ApiProperty({ type: AttemptCounts }) last24h!: AttemptCounts;
  @ApiProperty({ nullable: true, type: String }) lastSuccessAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastFailureAt!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'start of the current failure streak; the endpoint is disabled after ENDPOINT_DISABLE_AFTER_FAILING_DAYS' })
  failingSince!: string | null;
}
