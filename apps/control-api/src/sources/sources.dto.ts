import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { INITIATED_FROM, SOURCE_DIALECTS, type InitiatedFrom, type SourceDialect } from '@hookstream/contracts';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength,
  ValidateIf, ValidateNested,
} from 'class-validator';

export const SIGNATURE_KINDS = ['none', 'standard-webhooks', 'hmac-sha256-hex'] as const;
export type SignatureKind = (typeof SIGNATURE_KINDS)[number];

export class SignatureInputDto {
  @ApiProperty({ enum: SIGNATURE_KINDS }) @IsIn(SIGNATURE_KINDS) kind!: SignatureKind;

  @ApiPropertyOptional({
    description: 'The shared secret the sender signs with (standard-webhooks: whsec_…). Required when first choosing a scheme; omit to keep the current one. Never shown again.',
    writeOnly: true,
  })
  @IsOptional() @IsString() @MinLength(8) @MaxLength(512)
  secret?: string;

  @ApiPropertyOptional({ description: 'hmac-sha256-hex: header carrying the hex signature', example: 'x-signature' })
  @ValidateIf((o: SignatureInputDto) => o.kind === 'hmac-sha256-hex' || o.header !== undefined)
  @IsString() @Matches(/^[A-Za-z0-9-]{1,100}$/, { message: 'header must be an HTTP header name' })
  header?: string;

  @ApiPropertyOptional({ description: 'hmac-sha256-hex: text before the hex digest, e.g. "sha256="' })
  @IsOptional() @IsString() @MaxLength(50)
  prefix?: string;

  @ApiPropertyOptional({ description: 'standard-webhooks: accepted clock skew in seconds', default: 300 })
  @IsOptional() @IsInt() @Min(1) @Max(86400)
  toleranceSeconds?: number;
}

export class DedupeInputDto {
  @ApiProperty({ example: ['person.email', 'type', 'product.name'], description: 'Canonical-event field paths that make two events the same' })
  @IsString({ each: true }) @Matches(/^[A-Za-z0-9_.]{1,100}$/, { each: true, message: 'each dedupe field must be a dotted path' })
  @ArrayMinSize(1) @ArrayMaxSize(20)
  fields!: string[];

  @ApiProperty({ minimum: 1, maximum: 30 * 86400, example: 3600 }) @IsInt() @Min(1) @Max(30 * 86400) windowSeconds!: number;
}

class SourceSettingsDto {
  @ApiPropertyOptional({ enum: SOURCE_DIALECTS, default: 'auto' }) @IsOptional() @IsIn(SOURCE_DIALECTS) dialect?: SourceDialect;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() enabled?: boolean;

  @ApiPropertyOptional({ type: SignatureInputDto })
  @IsOptional() @ValidateNested() @Type(() => SignatureInputDto)
  signature?: SignatureInputDto;

  @ApiPropertyOptional({ type: DedupeInputDto, nullable: true, description: 'null turns field-based dedupe off' })
  @IsOptional() @ValidateNested() @Type(() => DedupeInputDto)
  dedupe?: DedupeInputDto | null;

  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Requests per second; null = the gateway default' })
  @IsOptional() @IsInt() @Min(1) @Max(100000)
  rateLimitPerSecond?: number | null;

  @ApiPropertyOptional({ enum: INITIATED_FROM, default: 'api' }) @IsOptional() @IsIn(INITIATED_FROM) initiatedFrom?: InitiatedFrom;

  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @IsString() @MaxLength(100) listId?: string | null;
}

export class CreateSourceDto extends SourceSettingsDto {
  @ApiProperty({ example: 'My shop' }) @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
}

export class UpdateSourceDto extends SourceSettingsDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) name?: string;
}

export class RotateTokenDto {
  @ApiPropertyOptional({ description: 'How long the old token keeps working', default: 3600, minimum: 0 })
  @IsOptional() @IsInt() @Min(0)
  gracePeriodSeconds?: number;
}

// ---- responses ---------------------------------------------------------------------------

export class SignatureView {
  @ApiProperty({ enum: SIGNATURE_KINDS }) kind!: SignatureKind;
  @ApiPropertyOptional() header?: string;
  @ApiPropertyOptional() prefix?: string;
  @ApiPropertyOptional() toleranceSeconds?: number;
  @ApiProperty({ description: 'Whether a secret is set (it is never shown)' }) hasSecret!: boolean;
}

export class SourceTokenView {
  @ApiProperty() id!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String, description: 'null = current token; otherwise the end of its grace period' }) expiresAt!: string | null;
}

export class SourceView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: SOURCE_DIALECTS }) dialect!: SourceDialect;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ description: 'Ingest URL without the token' }) url!: string;
  @ApiProperty({ type: SignatureView }) signature!: SignatureView;
  @ApiProperty({ type: DedupeInputDto, nullable: true }) dedupe!: DedupeInputDto | null;
  @ApiProperty({ nullable: true, type: Number }) rateLimitPerSecond!: number | null;
  @ApiProperty({ enum: INITIATED_FROM }) initiatedFrom!: InitiatedFrom;
  @ApiProperty({ nullable: true, type: String }) listId!: string | null;
  @ApiProperty({ type: [SourceTokenView] }) tokens!: SourceTokenView[];
  @ApiProperty() version!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class SourceWithTokenView {
  @ApiProperty({ type: SourceView }) source!: SourceView;
  @ApiProperty({ description: 'The source token. Shown once: only its hash is stored.' }) token!: string;
  @ApiProperty({ description: 'Ready-to-paste ingest URL including the token. Shown once.' }) url!: string;
}

export class SourcePage {
  @ApiProperty({ type: [SourceView] }) data!: SourceView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
