import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { CanonicalEvent, RawEventDto, ValidationReason } from '@hookstream/contracts';
import { IsIn, IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../common/pagination';
import { EventDeliveryView } from '../deliveries/deliveries.dto';
import { FEED_STATUSES, type FeedStatus } from '@hookstream/feed-store';

export class FeedQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'purchase' }) @IsOptional() @IsString() @MaxLength(100) type?: string;
  @ApiPropertyOptional({ enum: FEED_STATUSES }) @IsOptional() @IsIn(FEED_STATUSES) status?: FeedStatus;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) sourceId?: string;
  @ApiPropertyOptional({ description: 'received at or after (ISO 8601)' }) @IsOptional() @IsISO8601() from?: string;
  @ApiPropertyOptional({ description: 'received before (ISO 8601)' }) @IsOptional() @IsISO8601() to?: string;
  @ApiPropertyOptional({ description: 'exact (case-insensitive) email of the person; matched through a keyed hash' })
  @IsOptional() @IsString() @MaxLength(320)
  email?: string;
}

class PersonSummary {
  @ApiProperty({ nullable: true, type: String }) firstName!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastName!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 's***@example.com' }) emailMasked!: string | null;
}

class LocationSummary {
  @ApiProperty({ nullable: true, type: String }) city!: string | null;
  @ApiProperty({ nullable: true, type: String }) country!: string | null;
  @ApiProperty({ nullable: true, type: String }) countryCode!: string | null;
}

class ProductSummary {
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
}

class DeliveryCounts {
  @ApiProperty() total!: number;
  @ApiProperty() succeeded!: number;
  @ApiProperty({ description: 'retrying, exhausted or cancelled' }) failed!: number;
}

export class EventSummary {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: FEED_STATUSES }) status!: FeedStatus;
  @ApiProperty({ nullable: true, type: String }) type!: string | null;
  @ApiProperty() sourceId!: string;
  @ApiProperty() receivedAt!: string;
  @ApiProperty({ nullable: true, type: String }) occurredAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) dialect!: string | null;
  @ApiProperty({ type: PersonSummary }) person!: PersonSummary;
  @ApiProperty({ type: LocationSummary }) location!: LocationSummary;
  @ApiProperty({ type: ProductSummary, nullable: true }) product!: ProductSummary | null;
  @ApiProperty({ nullable: true, type: Number }) amount!: number | null;
  @ApiProperty({ nullable: true, type: String }) currency!: string | null;
  @ApiProperty({ description: 'number of rejection reasons' }) reasons!: number;
  @ApiProperty({ nullable: true, type: String }) duplicateOf!: string | null;
  @ApiProperty({ type: DeliveryCounts }) deliveries!: DeliveryCounts;
}

export class EventPage {
  @ApiProperty({ type: [EventSummary] }) data!: EventSummary[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class EventStoryView {
  @ApiProperty({ type: EventSummary }) summary!: EventSummary;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'the request as received (RawEventDto)' }) raw!: RawEventDto | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'the canonical event as enriched' }) canonical!: CanonicalEvent | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: { applied: ['location.countryCode'], warnings: [] } })
  enrichment!: { applied: string[]; warnings: string[] } | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: { reasons: [{ path: 'city', rule: 'required', message: 'city is required' }] } })
  rejection!: { reasons: ValidationReason[] } | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: { originalEventId: 'evt_…', dedupeKey: 'idem:…' } })
  duplicate!: { originalEventId: string; dedupeKey: string } | null;
  @ApiProperty({ type: [EventDeliveryView] }) deliveries!: EventDeliveryView[];
}

export class ValidationReasonView {
  @ApiProperty({ description: 'Dotted path into the payload; empty for the whole body' }) path!: string;
  @ApiProperty({ description: 'The rule that failed, e.g. required, isIn' }) rule!: string;
  @ApiProperty() message!: string;
}

export class DryRunVerdictView {
  @ApiProperty({ description: 'Whether the validator will accept it (the answer of the gateway\'s `?dry_run=true`)' }) valid!: boolean;
  @ApiProperty({ description: 'The dialect it was read as' }) dialect!: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'The canonical event type, when valid' }) type?: string | null;
  @ApiPropertyOptional({ type: [ValidationReasonView], description: 'Why not, when invalid' }) reasons?: ValidationReasonView[];
}

export class TestEventView {
  @ApiProperty({ description: 'id of the event published to events.raw' }) id!: string;
  @ApiProperty({ type: DryRunVerdictView, description: "The dry-run verdict of the sample (the same check as the gateway's `?dry_run=true`), computed before it was sent" })
  verdict!: DryRunVerdictView;
}
