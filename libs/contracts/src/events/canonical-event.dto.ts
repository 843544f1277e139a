import { Type } from 'class-transformer';
import {
  IsArray, IsIn, IsISO8601, IsNumber, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested,
} from 'class-validator';

export const SOCIAL_PROOF_TYPES = ['purchase', 'signup', 'review', 'custom'] as const;
export const CONTACT_EVENT_TYPES = [
  'contact.subscribed', 'contact.updated', 'contact.unsubscribed', 'contact.tag_added', 'contact.tag_removed',
  'contact.list_added', 'contact.list_removed', 'contact.note_added', 'deal.added', 'deal.updated', 'deal.note_added',
] as const;
export const INITIATED_FROM = ['public', 'admin', 'api', 'system'] as const;
export type InitiatedFrom = (typeof INITIATED_FROM)[number];
export const DIALECTS = ['activly', 'provesource', 'activecampaign', 'generic'] as const;
export type Dialect = (typeof DIALECTS)[number];
export const NAME_SOURCES = ['payload', 'history', 'email'] as const;
export type NameSource = (typeof NAME_SOURCES)[number];
export const LOCATION_SOURCES = ['payload', 'geoip', 'lookup'] as const;
export type LocationSource = (typeof LOCATION_SOURCES)[number];

export class PersonDto {
  @IsOptional() @IsString() @MaxLength(320) email!: string | null;
  @IsOptional() @IsString() @MaxLength(200) firstName!: string | null;
  @IsOptional() @IsString() @MaxLength(200) lastName!: string | null;
  @IsOptional() @IsString() @MaxLength(64) ip!: string | null;
  @IsOptional() @IsIn(NAME_SOURCES) nameSource!: NameSource | null;
}

export class LocationDto {
  @IsOptional() @IsString() @MaxLength(200) city!: string | null;
  @IsOptional() @IsString() @MaxLength(200) state!: string | null;
  @IsOptional() @IsString() @MaxLength(16) stateCode!: string | null;
  @IsOptional() @IsString() @MaxLength(200) country!: string | null;
  @IsOptional() @Matches(/^[A-Z]{2}$/) countryCode!: string | null;
  @IsOptional() @IsIn(LOCATION_SOURCES) source!: LocationSource | null;
}

export class ProductDto {
  @IsOptional() @IsString() @MaxLength(200) id!: string | null;
  @IsOptional() @IsString() @MaxLength(500) name!: string | null;
  @IsOptional() @IsString() @MaxLength(2000) link!: string | null;
  @IsOptional() @IsString() @MaxLength(2000) image!: string | null;
  @IsOptional() @IsNumber() price!: number | null;
  @IsOptional() @IsNumber() quantity!: number | null;
}

export class EnrichmentDto {
  @IsArray() @IsString({ each: true }) warnings!: string[];
  @IsArray() @IsString({ each: true }) applied!: string[];
}

/** The one shape every accepted payload becomes, whatever its dialect (DESIGN.md "Canonical event"). */
export class CanonicalEventDto {
  @Matches(/^evt_[0-9a-z]+$/) id!: string;
  @IsString() accountId!: string;
  @IsString() sourceId!: string;
  @IsString() @MaxLength(100) type!: string;
  @IsISO8601({ strict: true }) occurredAt!: string;
  @IsISO8601({ strict: true }) receivedAt!: string;
  @IsIn(INITIATED_FROM) initiatedFrom!: InitiatedFrom;
  @ValidateNested() @Type(() => PersonDto) person!: PersonDto;
  @ValidateNested() @Type(() => LocationDto) location!: LocationDto;
  @IsOptional() @ValidateNested() @Type(() => ProductDto) product!: ProductDto | null;
  @IsArray() @ValidateNested({ each: true }) @Type(() => ProductDto) products!: ProductDto[];
  @IsOptional() @IsNumber() amount!: number | null;
  @IsOptional() @Matches(/^[A-Z]{3}$/) currency!: string | null;
  @IsObject() attributes!: Record<string, unknown>;
  @IsIn(DIALECTS) dialect!: Dialect;
  /** The key the validator deduplicated on (idempotency header, payload id or content hash). */
  @IsOptional() @IsString() dedupeKey?: string;
  /** Set by the enricher. */
  @IsOptional() @ValidateNested() @Type(() => EnrichmentDto) enrichment?: EnrichmentDto;
  /** Causation chain for events produced by automation (loop protection). */
  @IsOptional() @IsString() causedBy?: string;
  @IsOptional() @IsNumber() causationDepth?: number;
  @IsOptional() @IsString() causedByRule?: string;
}

/** A plain-object view of the canonical event, for code that builds one without class instances. */
export type CanonicalEvent = {
  [K in keyof CanonicalEventDto]: CanonicalEventDto[K];
};

export function emptyPerson(): PersonDto {
  return { email: null, firstName: null, lastName: null, ip: null, nameSource: null };
}

export function emptyLocation(): LocationDto {
  return { city: null, state: null, stateCode: null, country: null, countryCode: null, source: null };
}
