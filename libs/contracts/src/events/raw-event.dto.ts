import { Type } from 'class-transformer';
import { Allow, IsArray, IsBoolean, IsIn, IsISO8601, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { DIALECTS, Dialect, INITIATED_FROM, InitiatedFrom } from './canonical-event.dto';

export const SOURCE_DIALECTS = [...DIALECTS, 'auto'] as const;
export type SourceDialect = (typeof SOURCE_DIALECTS)[number];

/** What the gateway publishes on events.raw: the request as received, after auth and parsing. */
export class RawEventDto {
  @Matches(/^evt_[0-9a-z]+$/) id!: string;
  @IsString() accountId!: string;
  @IsString() sourceId!: string;
  @IsISO8601({ strict: true }) receivedAt!: string;
  @IsString() @MaxLength(200) contentType!: string;
  /** Only headers that matter downstream (user-agent, idempotency, forwarded-for); never auth headers. */
  @IsObject() headers!: Record<string, string>;
  /** Parsed body: JSON value, or the nested object a form body becomes. */
  @Allow() body!: unknown;
  /** Client address as seen by the gateway (used for geo-IP when the payload carries none). */
  @IsOptional() @IsString() clientIp?: string | null;
  @IsOptional() @IsString() @MaxLength(300) idempotencyKey?: string | null;
  @IsIn(SOURCE_DIALECTS) dialect!: SourceDialect;
  @IsIn(INITIATED_FROM) initiatedFrom!: InitiatedFrom;
  @IsOptional() @IsBoolean() batch?: boolean;
  /** The source's window-dedupe option at the time of receipt (applied by the validator). */
  @IsOptional() @IsObject() dedupe?: { fields: string[]; windowSeconds: number } | null;
}

export class ValidationReasonDto {
  /** Dotted path into the payload, e.g. `products[0].price`; empty for the whole body. */
  @IsString() path!: string;
  /** The rule that failed, e.g. `isIn`, `required`, `isISO8601`. */
  @IsString() rule!: string;
  @IsString() message!: string;
  /** A short, safe summary of the offending value (never a whole payload, emails masked). */
  @IsOptional() @IsString() value?: string;
}
export type ValidationReason = ValidationReasonDto;

/** What the validator publishes on events.rejected: the raw event plus why. */
export class RejectedEventDto {
  @ValidateNested() @Type(() => RawEventDto) raw!: RawEventDto;
  @IsArray() @ValidateNested({ each: true }) @Type(() => ValidationReasonDto) reasons!: ValidationReasonDto[];
  /** The dialect the payload was read as; null when none recognised it. */
  @IsOptional() @IsIn(DIALECTS) dialect!: Dialect | null;
  @IsISO8601({ strict: true }) rejectedAt!: string;
}
export type RejectedEvent = RejectedEventDto;

/** What the validator publishes on events.duplicate: which earlier event this one repeats. */
export class DuplicateEventDto {
  @ValidateNested() @Type(() => RawEventDto) raw!: RawEventDto;
  @IsString() dedupeKey!: string;
  @IsString() originalEventId!: string;
  @IsISO8601({ strict: true }) seenAt!: string;
}
export type DuplicateEvent = DuplicateEventDto;

export type { Dialect, InitiatedFrom };
