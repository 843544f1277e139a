import { Type } from 'class-transformer';
import {
  IsArray, IsDefined, IsIP, IsOptional, IsString, MaxLength, ValidateNested,
} from 'class-validator';
import { SOCIAL_PROOF_TYPES, type RawEventDto, type ValidationReason } from '@hookstream/contracts';
import { parseAmount } from './amount';
import { normaliseCurrency } from './currency';
import { baseEvent, BODY_NOT_OBJECT, str, type DialectHandler, type DialectResult } from './dialect';
import { findEmail, isEmail, normaliseEmail } from './email-search';
import { payloadLocation } from './location';
import { normaliseProducts, pickProduct, type Product } from './products';
import { reason, requiredReason } from './reasons';
import { parseTimestamp } from './timestamps';
import {
  IsAmountLike, IsCountryCode, IsCurrencyLike, IsQuantityLike, IsStringOrNumber, IsTimestampLike, isPlainObject, pickKeys, unknownKeys, validateDto,
} from './validators';

/** One `products[]` item (seed 002, "Multiple Products Parameters"): name and link required. */
export class ProvesourceProductDto {
  @IsDefined() @IsString() @MaxLength(500) name!: string;
  @IsDefined() @IsString() @MaxLength(2000) link!: string;
  @IsOptional() @IsStringOrNumber() id?: string | number;
  @IsOptional() @IsString() @MaxLength(2000) image?: string;
  @IsOptional() @IsAmountLike() price?: number | string;
  @IsOptional() @IsQuantityLike() quantity?: number | string;
}

/** ProveSource's stream-webhook fields (seed 002). `email` is checked separately: it may sit anywhere. */
export class ProvesourcePayloadDto {
  @IsOptional() @IsTimestampLike() timestamp?: number | string;
  @IsOptional() @IsIP() ip?: string;
  @IsOptional() @IsString() @MaxLength(200) firstName?: string;
  @IsOptional() @IsString() @MaxLength(200) lastName?: string;
  @IsOptional() @IsString() @MaxLength(200) city?: string;
  @IsOptional() @IsString() @MaxLength(200) country?: string;
  @IsOptional() @IsCountryCode() countryCode?: string;
  @IsOptional() @IsString() @MaxLength(200) state?: string;
  @IsOptional() @IsString() @MaxLength(16) stateCode?: string;
  @IsOptional() @IsString() @MaxLength(500) productName?: string;
  @IsOptional() @IsString() @MaxLength(2000) productLink?: string;
  @IsOptional() @IsString() @MaxLength(2000) productImage?: string;
  @IsOptional() @IsAmountLike() total?: number | string;
  @IsOptional() @IsCurrencyLike() currency?: string;
  @IsOptional() @IsStringOrNumber() guid?: string | number;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => ProvesourceProductDto) products?: ProvesourceProductDto[];
}

const FIELDS = [
  'timestamp', 'ip', 'firstName', 'lastName', 'city', 'country', 'countryCode', 'state', 'stateCode', 'productName',
  'productLink', 'productImage', 'total', 'currency', 'guid', 'products',
] as const;
const PRODUCT_FIELDS = ['name', 'link', 'id', 'image', 'price', 'quantity'] as const;
const KNOWN_SET: ReadonlySet<string> = new Set<string>([...FIELDS, 'email']);
const HINTS = ['firstName', 'productName', 'products', 'guid', 'countryCode'] as const;

function isNumericTimestamp(value: unknown): boolean {
  return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && /^\d{9,14}$/.test(value.trim()));
}

/**
 * Social-proof type: an explicit `event` (else `type`) if it is one of the four, else inferred
 * (see README). Returns the key it came from, so an unusable one stays in the attributes.
 */
function typeOf(body: Record<string, unknown>, hasPurchase: boolean): { type: string; from: string | null } {
  for (const key of ['event', 'type']) {
    const v = body[key];
    if (typeof v === 'string' && (SOCIAL_PROOF_TYPES as readonly string[]).includes(v.trim().toLowerCase())) {
      return { type: v.trim().toLowerCase(), from: key };
    }
  }
  return { type: hasPurchase ? 'purchase' : 'signup', from: null };
}

/** What of a ProveSource body goes into ProvesourcePayloadDto: its known keys, and of each `products` item the known keys. */
export function provesourcePlain(body: Record<string, unknown>): Record<string, unknown> {
  const plain = pickKeys(body, FIELDS, true);
  if (Array.isArray(plain['products'])) {
    // Only known keys of each item reach class-transformer (see pickKeys).
    plain['products'] = plain['products'].map((p: unknown) => (isPlainObject(p) ? pickKeys(p, PRODUCT_FIELDS, true) : p));
  }
  return plain;
}

export const provesourceDialect: DialectHandler = {
  name: 'provesource',

  /** An email (anywhere) plus one ProveSource-specific field (`firstName`, `productName`, `products`, `guid`, `countryCode`, or a numeric `timestamp`): 0.8. */
  detect(body: unknown): number {
    if (!isPlainObject(body)) return 0;
    const hinted = HINTS.some((k) => k in body) || isNumericTimestamp(body['timestamp']);
    if (!hinted) return 0;
    return findEmail(body) !== null ? 0.8 : 0;
  },

  normalise(raw: RawEventDto): DialectResult {
    const body = raw.body;
    if (!isPlainObject(body)) return { ok: false, reasons: [BODY_NOT_OBJECT] };
    const plain = provesourcePlain(body);
    const { dto, reasons } = validateDto(ProvesourcePayloadDto, plain);

    // The email: at the top when given there (and then it must be valid), else searched for.
    let email: string | null = null;
    const top = body['email'];
    const emailReasons: ValidationReason[] = [];
    if (top !== undefined && top !== null && !(typeof top === 'string' && top.trim() === '')) {
      if (isEmail(top)) email = normaliseEmail(top);
      else emailReasons.push(reason('email', 'isEmail', 'email must be an email address', top));
    } else {
      email = findEmail(body)?.email ?? null;
      if (email === null) emailReasons.push(requiredReason('email', ' (none found anywhere in the payload)'));
    }
    const all = [...emailReasons, ...reasons];
    if (all.length > 0) return { ok: false, reasons: all };

    const event = baseEvent(raw, 'provesource');
    event.person = {
      email,
      firstName: str(dto.firstName),
      lastName: str(dto.lastName),
      ip: str(dto.ip),
      nameSource: str(dto.firstName) !== null || str(dto.lastName) !== null ? 'payload' : null,
    };
    if (dto.timestamp !== undefined) {
      const t = parseTimestamp(dto.timestamp);
      if (t.ok) event.occurredAt = t.iso;
    }
    event.location = payloadLocation({
      city: dto.city, country: dto.country, countryCode: dto.countryCode, state: dto.state, stateCode: dto.stateCode,
    });

    const total = dto.total === undefined ? null : parseAmount(dto.total);
    event.amount = total !== null && total.ok ? total.amount : null;
    if (dto.currency !== undefined) {
      const c = normaliseCurrency(dto.currency);
      event.currency = c.ok ? c.code : null;
    } else if (total !== null && total.ok) {
      event.currency = total.currency;
    }

    const guid = str(dto.guid);
    event.products = normaliseProducts(plain['products']);
    let product: Product | null = pickProduct(event.products);
    if (product !== null) {
      product = { ...product, id: product.id ?? guid };
    } else if (dto.productName !== undefined || dto.productLink !== undefined || dto.productImage !== undefined || guid !== null) {
      product = {
        id: guid,
        name: str(dto.productName),
        link: str(dto.productLink),
        image: str(dto.productImage),
        price: event.amount,
        quantity: null,
      };
    }
    event.product = product;
    const hasPurchase =
      event.products.length > 0 || [dto.productName, dto.productLink, dto.productImage].some((v) => str(v) !== null) || event.amount !== null;
    const { type, from } = typeOf(body, hasPurchase);
    event.type = type;
    event.attributes = unknownKeys(body, from === null ? KNOWN_SET : new Set([...KNOWN_SET, from]));
    return { ok: true, event };
  },
};
