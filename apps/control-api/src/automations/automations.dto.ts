import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { AutomationAction, FilterExpr } from '@hookstream/contracts';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateIf, ValidateNested,
} from 'class-validator';
import { IsEventTypePatterns, IsFilterExpr } from '../common/validators';

export const ACTION_TYPES = ['webhook', 'add_tag', 'remove_tag', 'add_to_list', 'remove_from_list'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

const FILTER_DOC = { type: 'object', additionalProperties: true, nullable: true, description: 'Filter on the canonical event (see endpoints)' } as const;

export class AutomationTriggerDto {
  @ApiProperty({ example: ['purchase'] })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(100) @IsEventTypePatterns()
  eventTypes!: string[];

  @ApiPropertyOptional({ type: [String], nullable: true, description: 'Only events from these sources; null = all sources' })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(100) @IsString({ each: true })
  sourceIds?: string[] | null;

  @ApiPropertyOptional(FILTER_DOC) @IsOptional() @IsFilterExpr() filter?: FilterExpr | null;
}

export class AutomationActionDto {
  @ApiProperty({ enum: ACTION_TYPES }) @IsIn(ACTION_TYPES) type!: ActionType;

  @ApiPropertyOptional({ description: 'webhook: an endpoint of this account' })
  @ValidateIf((a: AutomationActionDto) => a.type === 'webhook') @IsString() @IsNotEmpty()
  endpointId?: string;

  @ApiPropertyOptional({ description: 'add_tag / remove_tag' })
  @ValidateIf((a: AutomationActionDto) => a.type === 'add_tag' || a.type === 'remove_tag') @IsString() @IsNotEmpty() @MaxLength(100)
  tag?: string;

  @ApiPropertyOptional({ description: 'add_to_list / remove_from_list' })
  @ValidateIf((a: AutomationActionDto) => a.type === 'add_to_list' || a.type === 'remove_from_list') @IsString() @IsNotEmpty() @MaxLength(100)
  listId?: string;
}

export class CreateAutomationDto {
  @ApiProperty({ example: 'Tag buyers' }) @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() enabled?: boolean;

  @ApiProperty({ type: AutomationTriggerDto }) @ValidateNested() @Type(() => AutomationTriggerDto) trigger!: AutomationTriggerDto;

  @ApiProperty({ type: [AutomationActionDto] })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => AutomationActionDto)
  actions!: AutomationActionDto[];
}

export class UpdateAutomationDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() enabled?: boolean;

  @ApiPropertyOptional({ type: AutomationTriggerDto })
  @IsOptional() @ValidateNested() @Type(() => AutomationTriggerDto)
  trigger?: AutomationTriggerDto;

  @ApiPropertyOptional({ type: [AutomationActionDto] })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => AutomationActionDto)
  actions?: AutomationActionDto[];
}

export class AutomationTriggerView {
  @ApiProperty({ type: [String] }) eventTypes!: string[];
  @ApiProperty({ type: [String], nullable: true }) sourceIds!: string[] | null;
  @ApiProperty(FILTER_DOC) filter!: FilterExpr | null;
}

export class AutomationView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ type: AutomationTriggerView }) trigger!: AutomationTriggerView;
  @ApiProperty({ type: [AutomationActionDto] }) actions!: AutomationAction[];
  @ApiProperty() version!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class AutomationPage {
  @ApiProperty({ type: [AutomationView] }) data!: AutomationView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
