import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DELIVERY_FORMATS, INITIATED_FROM, type DeliveryFormat, type FilterExpr, type InitiatedFrom } from '@hookstream/contracts';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsEventTypePatterns, IsFilterExpr } from '../common/validators';

const FILTER_DOC = {
  type: 'object',
  additionalProperties: true,
  nullable: true,
  description: 'A field filter {path, op, value} or a group {and: [...]} / {or: [...]}; ops: eq ne gt gte lt lte in contains exists',
  example: { and: [{ path: 'type', op: 'eq', value: 'purchase' }, { path: 'amount', op: 'gte', value: 50 }] },
} as const;

class EndpointSettingsDto {
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @IsString() @MaxLength(500) description?: string | null;

  @ApiPropertyOptional({ nullable: true, enum: INITIATED_FROM, isArray: true, description: 'Only events initiated from these; null = all' })
  @IsOptional() @IsArray() @IsIn(INITIATED_FROM, { each: true }) @ArrayMinSize(1)
  initiatedFrom?: InitiatedFrom[] | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'Only events for this list; null = all' })
  @IsOptional() @IsString() @MaxLength(100)
  listId?: string | null;

  @ApiPropertyOptional(FILTER_DOC) @IsOptional() @IsFilterExpr() filter?: FilterExpr | null;

  @ApiPropertyOptional({ enum: DELIVERY_FORMATS, default: 'json' }) @IsOptional() @IsIn(DELIVERY_FORMATS) format?: DeliveryFormat;

  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Deliveries per second; null = no limit' })
  @IsOptional() @IsInt() @Min(1) @Max(100000)
  rateLimitPerSecond?: number | null;

  @ApiPropertyOptional({ default: 10, minimum: 1, maximum: 1000 }) @IsOptional() @IsInt() @Min(1) @Max(1000) maxConcurrency?: number;

  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() enabled?: boolean;
}

export class CreateEndpointDto extends EndpointSettingsDto {
  @ApiProperty({ example: 'https://example.com/webhooks/hookstream' }) @IsString() @IsNotEmpty() @MaxLength(2048) url!: string;

  @ApiProperty({ example: ['purchase', 'contact.*'], description: 'Exact types, `prefix.*` wildcards or `*`' })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(100) @IsEventTypePatterns()
  eventTypes!: string[];
}

export class UpdateEndpointDto extends EndpointSettingsDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(2048) url?: string;

  @ApiPropertyOptional({ example: ['*'] })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(100) @IsEventTypePatterns()
  eventTypes?: string[];
}

// ---- responses ---------------------------------------------------------------------------

export class EndpointSecretView {
  @ApiProperty() id!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String, description: 'null = current secret; otherwise the end of its overlap after a rotation' }) expiresAt!: string | null;
}

export class UrlWarningView {
  @ApiProperty({ enum: ['url'] }) field!: 'url';
  @ApiProperty({ enum: ['resolves_to_refused_address', 'does_not_resolve'] }) code!: 'resolves_to_refused_address' | 'does_not_resolve';
  @ApiProperty() message!: string;
}

const WARNINGS_TEXT =
    "Save-time warnings about the URL's host name: it resolves to a refused (non-public, not allow-listed) address, or does not resolve. " +
    'The endpoint is saved anyway; delivery refuses to connect while the name resolves that way.';

export class EndpointView {
  @ApiProperty() id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ nullable: true, type: String }) disabledReason!: string | null;
  @ApiProperty({ type: [String] }) eventTypes!: string[];
  @ApiProperty({ nullable: true, enum: INITIATED_FROM, isArray: true }) initiatedFrom!: InitiatedFrom[] | null;
  @ApiProperty({ nullable: true, type: String }) listId!: string | null;
  @ApiProperty(FILTER_DOC) filter!: FilterExpr | null;
  @ApiProperty({ enum: DELIVERY_FORMATS }) format!: DeliveryFormat;
  @ApiProperty({ nullable: true, type: Number }) rateLimitPerSecond!: number | null;
  @ApiProperty() maxConcurrency!: number;
  @ApiProperty({ type: [EndpointSecretView], description: 'Signing secrets in use (values are never shown again)' }) secrets!: EndpointSecretView[];
  @ApiProperty() version!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiPropertyOptional({ type: [UrlWarningView], description: `${WARNINGS_TEXT} Only in the answer to an update that changed the URL.` }) warnings?: UrlWarningView[];
}

export class EndpointWithSecretView {
  @ApiProperty({ type: EndpointView }) endpoint!: EndpointView;
  @ApiProperty({ description: 'The whsec_ signing secret. Shown once.' }) secret!: string;
  @ApiPropertyOptional({ type: [UrlWarningView], description: `${WARNINGS_TEXT} In the answer to a create (empty when all is well).` }) warnings?: UrlWarningView[];
}

export class EndpointPage {
  @ApiProperty({ type: [EndpointView] }) data!: EndpointView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
