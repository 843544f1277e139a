import {
  IsDefined, IsIn, IsNotEmpty, IsNumber, IsOptional, IsString, IsUrl, MaxLength,
  Min, } from 'class-validator';
import { SOCIAL_PROOF_TYPES, type RawEventDto } from '@hookstream/contracts';
import { normaliseCurrency } from './currency';
import { baseEvent, BODY_NOT_OBJECT, isFormContentType, str, type DialectHandler, type DialectResult } from './dialect';
import { normaliseEmail } from './email-search';
import { payloadLocation } from './location';
import { parseIsoDateTime } from './timestamps';
import {
  IsCurrencyLike, IsEmailAddress, IsUtcIso8601, isPlainObject, pickKeys, unknownKeys, validateDto, } from './validators';

const AMOUNT_OPTIONS = { allowNaN: false, allowInfinity: false };
const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true };

/** Activly's documented payload: six required fields, four optional ones (seed 000). */
export class ActivlyPayloadDto {
  @IsDefined() @IsIn(SOCIAL_PROOF_TYPES) event!: string;
  @IsDefined() @IsString() @IsNotEmpty() @MaxLength(200) first_name!: string;
  @IsDefined() @IsString() @IsNotEmpty() @MaxLength(200) city!: string;
  @IsDefined() @IsString() @IsNotEmpty() @MaxLength(200) country!: string;
  @IsDefined() @IsString() @IsNotEmpty() @MaxLength(500) product!: string;
  @IsDefined() @IsUtcIso8601() timestamp!: string;
  @IsOptional() @IsNumber(AMOUNT_OPTIONS) @Min(0) amount?: number;
  @IsOptional() @IsCurrencyLike() currency?: string;
  @IsOptional() @IsEmailAddress() email?: string;
  @IsOptional() @IsUrl(URL_OPTIONS) @MaxLength(2000) product_url?: string;
}

const KNOWN = ['event', 'first_name', 'city', 'country', 'product', 'timestamp', 'amount', 'currency', 'email', 'product_url'] as const;
const KNOWN_SET: ReadonlySet<string> = new Set(KNOWN);
const SIGNATURE = ['event', 'first_name', 'timestamp'] as const;

/** What of an Activly body goes into ActivlyPayloadDto (only its known keys). */
export function activlyPlain(body: Record<string, unknown>): Record<string, unknown> {
  return pickKeys(body, KNOWN);
}

export const activlyDialect: DialectHandler = {
  name: 'activly',

  /**
   * `event` + `first_name` + `timestamp` together are Activly's signature (0.9; 0.95 when `event`
   * is one of its four types). Activly only sends JSON, so a form body scores 0.2 lower.
   */
  detect(body: unknown, contentType?: string): number {
    if (!isPlainObject(body) || !SIGNATURE.every((k) => k in body)) return 0;
    const typed = (SOCIAL_PROOF_TYPES as readonly unknown[]).includes(body['event']);
    return (typed ? 0.95 : 0.9) - (isFormContentType(contentType) ? 0.2 : 0);
  },

  normalise(raw: RawEventDto): DialectResult {
    const body = raw.body;
    if (!isPlainObject(body)) return { ok: false, reasons: [BODY_NOT_OBJECT] };
    const { dto, reasons } = validateDto(ActivlyPayloadDto, activlyPlain(body));
    if (reasons.length > 0) return { ok: false, reasons };

    const event = baseEvent(raw, 'activly');
    event.type = dto.event;
    const occurred = parseIsoDateTime(dto.timestamp);
    if (occurred.ok) event.occurredAt = occurred.iso;
    event.person.firstName = dto.first_name.trim();
    event.person.nameSource = 'payload';
    // Activly uses the email for deduplication only; it is kept for that and never displayed.
    if (dto.email !== undefined) event.person.email = normaliseEmail(dto.email);
    event.location = payloadLocation({ city: dto.city, country: dto.country });
    event.product = {
      id: null,
      name: dto.product.trim(),
      link: str(dto.product_url),
      image: null,
      price: dto.amount ?? null,
      quantity: null,
    };
    event.amount = dto.amount ?? null;
    if (dto.currency !== undefined) {
      const c = normaliseCurrency(dto.currency);
      event.currency = c.ok ? c.code : null;
    }
    event.attributes = unknownKeys(body, KNOWN_SET);
    return { ok: true, event };
  },
};
