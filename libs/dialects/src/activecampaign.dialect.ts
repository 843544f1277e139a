import { Type } from 'class-transformer';
import {
  IsDefined, IsIn, IsIP, IsOptional, IsString, Matches, MaxLength, ValidateNested,
} from 'class-validator';
import { INITIATED_FROM, type InitiatedFrom, type RawEventDto } from '@hookstream/contracts';
import { parseAmount } from './amount';
import { normaliseCurrency } from './currency';
import { baseEvent, BODY_NOT_OBJECT, isFormContentType, str, type DialectHandler, type DialectResult } from './dialect';
import { normaliseEmail } from './email-search';
import { parseTimestamp } from './timestamps';
import {
  IsDateTimeLike, IsEmailAddress, IsPlainObject, IsStringOrNumber, IsTagList, isPlainObject, pickKeys, unknownKeys, validateDto, } from './validators';

/**
 * ActiveCampaign webhook `type` → canonical type. Anything else becomes `activecampaign.<type>`
 * (lower-cased), so no event is lost and endpoints can still subscribe to it.
 */
export const ACTIVECAMPAIGN_TYPES: Readonly<Record<string, string>> = {
  subscribe: 'contact.subscribed',
  update: 'contact.updated',
  unsubscribe: 'contact.unsubscribed',
  contact_tag_added: 'contact.tag_added',
  contact_tag_removed: 'contact.tag_removed',
  contact_note: 'contact.note_added',
  deal_add: 'deal.added',
  deal_update: 'deal.updated',
  deal_note_add: 'deal.note_added',
};

export function canonicalActiveCampaignType(type: string): string {
  const t = type.trim().toLowerCase();
  return ACTIVECAMPAIGN_TYPES[t] ?? `activecampaign.${t}`;
}

const TYPE_PATTERN = /^[A-Za-z0-9_]{1,64}$/;

export class ActiveCampaignContactDto {
  @IsOptional() @IsStringOrNumber() id?: string | number;
  @IsOptional() @IsEmailAddress() email?: string;
  @IsOptional() @IsString() @MaxLength(200) first_name?: string;
  @IsOptional() @IsString() @MaxLength(200) last_name?: string;
  @IsOptional() @IsString() @MaxLength(64) phone?: string;
  @IsOptional() @IsIP() ip?: string;
  @IsOptional() @IsTagList() tags?: string | string[];
  @IsOptional() @IsPlainObject() fields?: Record<string, unknown>;
}

/** The fields ActiveCampaign posts (seeds 001/003), as the nested object a bracket-key form becomes. */
export class ActiveCampaignPayloadDto {
  @IsDefined() @IsString() @Matches(TYPE_PATTERN, { message: 'type must be letters, digits and _ (at most 64)' }) type!: string;
  @IsOptional() @IsDateTimeLike() date_time?: string;
  @IsOptional() @IsIn(INITIATED_FROM) initiated_from?: InitiatedFrom;
  @IsOptional() @IsString() @MaxLength(200) initiated_by?: string;
  @IsOptional() @IsStringOrNumber() list?: string | number;
  @IsOptional() @IsPlainObject() @ValidateNested() @Type(() => ActiveCampaignContactDto) contact?: ActiveCampaignContactDto;
  @IsOptional() @IsPlainObject() deal?: Record<string, unknown>;
}

const FIELDS = ['type', 'date_time', 'initiated_from', 'initiated_by', 'list', 'contact', 'deal'] as const;
const CONTACT_FIELDS = ['id', 'email', 'first_name', 'last_name', 'phone', 'ip', 'tags', 'fields'] as const;
const KNOWN_SET: ReadonlySet<string> = new Set<string>(FIELDS);
const CONTACT_KNOWN: ReadonlySet<string> = new Set<string>(CONTACT_FIELDS);

/** `"tag1, tag2"` or `['tag1', 'tag2']` → trimmed, non-empty tags. */
export function splitTags(value: string | string[] | undefined): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : value.split(',');
  return list.map((t) => t.trim()).filter((t) => t !== '');
}

/** What of an ActiveCampaign body goes into ActiveCampaignPayloadDto: its known keys, and of a `contact` object the known keys. */
export function activecampaignPlain(body: Record<string, unknown>): Record<string, unknown> {
  const plain = pickKeys(body, FIELDS, true);
  if (isPlainObject(plain['contact'])) plain['contact'] = pickKeys(plain['contact'], CONTACT_FIELDS, true);
  return plain;
}

export const activecampaignDialect: DialectHandler = {
  name: 'activecampaign',

  /**
   * `type` + a `contact` object: 0.9; `date_time` + `initiated_from`: 0.85; both: 0.95.
   * ActiveCampaign posts forms, so a form body adds 0.03.
   */
  detect(body: unknown, contentType?: string): number {
    if (!isPlainObject(body)) return 0;
    const typed = typeof body['type'] === 'string' && isPlainObject(body['contact']);
    const timed = 'date_time' in body && 'initiated_from' in body;
    const score = typed && timed ? 0.95 : typed ? 0.9 : timed ? 0.85 : 0;
    return score > 0 && isFormContentType(contentType) ? score + 0.03 : score;
  },

  normalise(raw: RawEventDto): DialectResult {
    const body = raw.body;
    if (!isPlainObject(body)) return { ok: false, reasons: [BODY_NOT_OBJECT] };
    const plain = activecampaignPlain(body);
    const contactIn = isPlainObject(body['contact']) && isPlainObject(plain['contact']) ? body['contact'] : null;
    const { dto, reasons } = validateDto(ActiveCampaignPayloadDto, plain);
    if (reasons.length > 0) return { ok: false, reasons };

    const event = baseEvent(raw, 'activecampaign');
    event.type = canonicalActiveCampaignType(dto.type);
    if (dto.initiated_from !== undefined) event.initiatedFrom = dto.initiated_from;
    const attributes: Record<string, unknown> = { activecampaignType: dto.type };
    if (dto.date_time !== undefined) {
      const t = parseTimestamp(dto.date_time, { naiveAsUtc: true });
      if (t.ok) {
        event.occurredAt = t.iso;
        // Without an offset the time was read as UTC; say so rather than pretend to know.
        if (t.naive) attributes['dateTimeAssumedUtc'] = true;
      }
    }
    if (dto.initiated_by !== undefined) attributes['initiatedBy'] = dto.initiated_by;
    if (dto.list !== undefined) attributes['list'] = String(dto.list);

    const contact = dto.contact;
    if (contact !== undefined && contactIn !== null) {
      const firstName = str(contact.first_name);
      const lastName = str(contact.last_name);
      event.person = {
        email: contact.email === undefined ? null : normaliseEmail(contact.email),
        firstName,
        lastName,
        ip: str(contact.ip),
        nameSource: firstName !== null || lastName !== null ? 'payload' : null,
      };
      if (contact.id !== undefined) attributes['contactId'] = String(contact.id);
      if (str(contact.phone) !== null) attributes['phone'] = str(contact.phone);
      attributes['tags'] = splitTags(contact.tags);
      if (contact.fields !== undefined) attributes['fields'] = unknownKeys(contact.fields, new Set());
      const rest = unknownKeys(contactIn, CONTACT_KNOWN);
      if (Object.keys(rest).length > 0) attributes['contact'] = rest;
    }

    if (dto.deal !== undefined) {
      const deal = unknownKeys(dto.deal, new Set());
      attributes['deal'] = deal;
      // Deal value and currency are best-effort: the deal itself stays in the attributes as sent.
      const value = deal['value'] === undefined ? null : parseAmount(deal['value']);
      if (value !== null && value.ok) event.amount = value.amount;
      const currency = deal['currency'] === undefined ? null : normaliseCurrency(deal['currency']);
      if (currency !== null && currency.ok) event.currency = currency.code;
      else if (value !== null && value.ok) event.currency = value.currency;
    }

    event.attributes = { ...unknownKeys(body, KNOWN_SET), ...attributes };
    return { ok: true, event };
  },
};
