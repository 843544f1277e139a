import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../common/pagination';
import { DLQ_STATES, type DlqState } from '@hookstream/dlq-store';

export class DlqQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Original topic, e.g. hookstream.events.raw.v1' }) @IsOptional() @IsString() @MaxLength(200) topic?: string;
  @ApiPropertyOptional({ description: 'Consumer group that gave up, e.g. hookstream-validator' }) @IsOptional() @IsString() @MaxLength(200) group?: string;
  @ApiPropertyOptional({ enum: DLQ_STATES, default: 'pending' }) @IsOptional() @IsIn(DLQ_STATES) state?: DlqState;
}

export class DiscardDto {
  @ApiProperty({ description: 'Why it is discarded (kept in the record)', maxLength: 1000 }) @IsString() @IsNotEmpty() @MaxLength(1000) reason!: string;
}

export class DlqMessageView {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'Where the dead letter sits: `<topic>.dlq` partition and offset' }) dlq!: { topic: string; partition: number; offset: string };
  @ApiProperty({ description: 'The topic it failed on (a replay goes back there)' }) topic!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The consumer group that gave up; a replay reaches this group only' }) group!: string | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ nullable: true, type: Number }) attempts!: number | null;
  @ApiProperty({ nullable: true, type: String }) failedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) key!: string | null;
  @ApiProperty({ enum: DLQ_STATES }) state!: DlqState;
  @ApiProperty({ nullable: true, type: String }) handledAt!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'API key id (`key_…`) or `cli:<user>`' }) handledBy!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Why it was discarded' }) reason!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'topic and group it was replayed to' }) replayedTo!: string | null;
  @ApiProperty() recordedAt!: string;
}

export class DlqMessageDetailView extends DlqMessageView {
  @ApiProperty({ nullable: true, type: String, description: 'The value as UTF-8 text (as received; may not be JSON)' }) value!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'The original record headers' }) headers!: Record<string, string>;
}

export class DlqPage {
  @ApiProperty({ type: [DlqMessageView] }) data!: DlqMessageView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
