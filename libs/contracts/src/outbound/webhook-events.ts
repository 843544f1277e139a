import { Type } from 'class-transformer';
import { IsArray, IsISO8601, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import { CanonicalEventDto, CONTACT_EVENT_TYPES, SOCIAL_PROOF_TYPES } from '../events/canonical-event.dto';

/** Every event type an endpoint can subscribe to by name (custom types and wildcards aside). */
export const OUTBOUND_EVENT_TYPES = [...SOCIAL_PROOF_TYPES, ...CONTACT_EVENT_TYPES] as const;
export type OutboundEventType = (typeof OUTBOUND_EVENT_TYPES)[number];

export const OUTBOUND_EVENT_DESCRIPTIONS: Readonly<Record<OutboundEventType, string>> = {
  purchase: 'Someone bought something (social proof): person, location, product, amount.',
  signup: 'Someone signed up (social proof): person and location, no product.',
  review: 'Someone reviewed a product (social proof).',
  custom: 'Any other social-proof event a source sends; its own fields are in `attributes`.',
  'contact.subscribed': 'A contact subscribed (ActiveCampaign `subscribe`), or an automation created one.',
  'contact.updated': 'A contact\'s details changed (`update`); `attributes.changed` lists what, when known.',
  'contact.unsubscribed': 'A contact unsubscribed (`unsubscribe`).',
  'contact.tag_added': 'A tag was added to a contact (`contact_tag_added`); `attributes.tag` is the tag.',
  'contact.tag_removed': 'A tag was removed from a contact (`contact_tag_removed`).',
  'contact.list_added': 'A contact was added to a list (`list_add`); `attributes.listId`.',
  'contact.list_removed': 'A contact was removed from a list.',
  'contact.note_added': 'A note was added to a contact (`contact_note`).',
  'deal.added': 'A deal was created (`deal_add`); `attributes.deal`, value as `amount`/`currency`.',
  'deal.updated': 'A deal changed (`deal_update`).',
  'deal.note_added': 'A note was added to a deal (`deal_note_add`).',
};

export class DealAttributesDto {
  @IsOptional() @IsString() id?: string;
  @IsOptional() @IsString() title?: string;
  /** As the sender wrote it, e.g. `1,000.00`; the parsed value is the event's `amount`. */
  @IsOptional() @IsString() value?: string;
  @IsOptional() @IsString() currency?: string;
}

/** Members of `attributes` that contact and deal events carry when known; any other member may appear too. */
export class ContactEventAttributesDto {
  @IsOptional() @IsString() contactId?: string;
  @IsOptional() @IsArray() @IsString({ each: true }) tags?: string[];
  @IsOptional() @IsArray() @IsString({ each: true }) lists?: string[];
  /** The tag added or removed. */
  @IsOptional() @IsString() tag?: string;
  /** The list added to or removed from. */
  @IsOptional() @IsString() listId?: string;
  /** ActiveCampaign's `list` parameter, as sent. */
  @IsOptional() @IsString() list?: string;
  /** Contact fields that changed (contact.updated from an automation). */
  @IsOptional() @IsArray() @IsString({ each: true }) changed?: string[];
  /** Custom contact fields (`contact[fields][…]`). */
  @IsOptional() @IsObject() fields?: Record<string, unknown>;
  @IsOptional() @IsString() phone?: string;
  @IsOptional() @IsString() initiatedBy?: string;
  /** The ActiveCampaign type the event came in as, e.g. `subscribe`. */
  @IsOptional() @IsString() activecampaignType?: string;
  @IsOptional() @ValidateNested() @Type(() => DealAttributesDto) deal?: DealAttributesDto;
}

/** The JSON body of an outbound webhook (format `json`); signed with Standard Webhooks headers. */
export class WebhookBodyDto {
  /** The event type, e.g. `purchase` or `contact.tag_added`. */
  @IsString() type!: string;
  /** When the event happened. */
  @IsISO8601({ strict: true }) timestamp!: string;
  @ValidateNested() @Type(() => CanonicalEventDto) data!: CanonicalEventDto;
}

export interface WebhookExampleOptions {
  accountId: string;
  eventId: string;
  now: Date;
}

const SAMPLE_PERSON = { email: 'sarah.sample@example.com', firstName: 'Sarah', lastName: 'Sample', ip: null, nameSource: 'payload' };
const SAMPLE_LOCATION = { city: 'London', state: null, stateCode: null, country: 'United Kingdom', countryCode: 'GB', source: 'payload' };
const SAMPLE_PRODUCT = { id: 'sku_123', name: 'Running Shoes', link: 'https://shop.example.com/p/running-shoes', image: null, price: 49, quantity: 1 };

function exampleAttributes(eventType: string): { attributes: Record<string, unknown>; product: boolean } {
  const contact = { contactId: '1', tags: ['sample', 'vip'], lists: ['1'] };
  switch (eventType) {
    case 'purchase':
      return { attributes: {}, product: true };
    case 'review':
      return { attributes: { rating: 5, review: 'Comfortable from the first run.' }, product: true };
    case 'signup':
      return { attributes: { plan: 'free' }, product: false };
    case 'contact.subscribed':
      return { attributes: { ...contact, fields: { company: 'Example Ltd' } }, product: false };
    case 'contact.updated':
      return { attributes: { ...contact, changed: ['firstName'], fields: { company: 'Example Ltd' } }, product: false };
    case 'contact.tag_added':
    case 'contact.tag_removed':
      return { attributes: { ...contact, tag: 'vip' }, product: false };
    case 'contact.list_added':
    case 'contact.list_removed':
      return { attributes: { ...contact, listId: '1' }, product: false };
    case 'contact.unsubscribed':
      return { attributes: { ...contact, list: '1' }, product: false };
    case 'contact.note_added':
      return { attributes: { ...contact, note: 'Called back, wants the annual plan.' }, product: false };
    case 'deal.added':
    case 'deal.updated':
    case 'deal.note_added':
      return { attributes: { contactId: '1', deal: { id: '1', title: 'Sample deal', value: '49.00', currency: 'gbp' } }, product: false };
    default:
      return { attributes: { campaign: 'spring-sale' }, product: false };
  }
}

/**
 * The `data` of an example webhook of this type: the one source of the OpenAPI `webhooks`
 * examples, the dashboard's examples and delivery's "send sample data". Any type works
 * (a custom type gets the custom example with its own name).
 */
export function webhookExampleData(eventType: string, opts: WebhookExampleOptions): Record<string, unknown> {
  const time = opts.now.toISOString();
  const { attributes, product } = exampleAttributes(eventType);
  const deal = eventType.startsWith('deal.');
  return {
    id: opts.eventId,
    accountId: opts.accountId,
    sourceId: 'src_sample',
    type: eventType,
    occurredAt: time,
    receivedAt: time,
    initiatedFrom: 'admin',
    person: { ...SAMPLE_PERSON },
    location: { ...SAMPLE_LOCATION },
    product: product ? { ...SAMPLE_PRODUCT } : null,
    products: [],
    amount: product || deal ? 49 : null,
    currency: product || deal ? 'GBP' : null,
    attributes,
    dialect: eventType.includes('.') ? 'activecampaign' : 'generic',
  };
}
