import { isIP } from 'node:net';
import { type RawEventDto, type ValidationReason } from '@hookstream/contracts';
import { parseAmount } from './amount';
import { normaliseCurrency } from './currency';
import { baseEvent, BODY_NOT_OBJECT, str, type DialectHandler, type DialectResult } from './dialect';
import { findEmail, isEmail, isEmailKey, normaliseEmail } from './email-search';
import { FORBIDDEN_KEYS } from './form-body';
import { countryCodeOf, payloadLocation } from './location';
import { normaliseProduct, normaliseProducts, pickProduct, type Product } from './products';
import { reason } from './reasons';
import { parseTimestamp } from './timestamps';
import { isPlainObject } from './validators';

/**
 * Best-effort field names, in order of preference. Keys match case-insensitively and ignoring
 * `_`/`-` (so `first_name`, `firstName` and `FIRST-NAME` are one name).
 */
export const GENERIC_FIELDS = {
  firstName: ['first_name', 'fname', 'given_name'],
  lastName: ['last_name', 'lname', 'surname', 'family_name'],
  fullName: ['name', 'full_name', 'customer_name'],
  type: ['type', 'event', 'event_type', 'event_name'],
  time: ['timestamp', 'occurred_at', 'time', 'created_at', 'date', 'datetime', 'date_time'],
  ip: ['ip', 'ip_address'],
  city: ['city'],
  state: ['state', 'region'],
  stateCode: ['state_code', 'region_code'],
  country: ['country'],
  countryCode: ['country_code'],
  amount: ['amount', 'total', 'price', 'value'],
  currency: ['currency', 'currency_code'],
  product: ['product', 'product_name', 'item', 'item_name'],
  productId: ['product_id', 'sku', 'guid'],
  productLink: ['product_url', 'product_link'],
  productImage: ['product_image', 'product_image_url'],
  products: ['products', 'items', 'line_items'],
} as const;

type Field = keyof typeof GENERIC_FIELDS;

/** Longest text accepted per mapped field: the same bounds the activly and provesource DTOs set. */
export const GENERIC_MAX_LENGTHS: Readonly<Partial<Record<Field, number>>> = {
  firstName: 200, lastName: 200, fullName: 200, type: 100, time: 100, ip: 64, city: 200, state: 200, stateCode: 16, country: 200,
  countryCode: 16, amount: 64, currency: 16, product: 500, productId: 200, productLink: 2000, productImage: 2000,
};

/** Bounds of each product of `products[]` (ProveSource's item shape). */
const PRODUCT_MAX_LENGTHS: Readonly<Record<string, number>> = { id: 200, name: 500, link: 2000, image: 2000 };

/** An event type we pass through: letters, digits, `.`, `_`, `:`, `-`, at most 100. */
const TYPE_RE = /^[a-z0-9][a-z0-9._:-]{0,99}$/;

function squash(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

/** Finds the first present (non-blank) field among a name's aliases; returns its real key. */
function lookup(body: Record<string, unknown>, index: Map<string, string>, field: Field): { key: string; value: unknown } | null {
  for (const alias of GENERIC_FIELDS[field]) {
    const key = index.get(squash(alias));
    if (key === undefined) continue;
    const value = body[key];
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) continue;
    return { key, value };
  }
  return null;
}

export const genericDialect: DialectHandler = {
  name: 'generic',

  /** The fallback: any object 0.1, anything else 0. */
  detect(body: unknown): number {
    return isPlainObject(body) ? 0.1 : 0;
  },

  normalise(raw: RawEventDto): DialectResult {
    const body = raw.body;
    if (!isPlainObject(body)) return { ok: false, reasons: [BODY_NOT_OBJECT] };
    const index = new Map<string, string>();
    for (const key of Object.keys(body)) {
      if (FORBIDDEN_KEYS.has(key)) continue;
      if (!index.has(squash(key))) index.set(squash(key), key);
    }
    const used = new Set<string>();
    const reasons: ValidationReason[] = [];
    const tooLong = new Set<string>();
    // A mapped field over its bound is a reason (once), and counts as not given.
    const peek = (field: Field): { key: string; value: unknown } | null => {
      const hit = lookup(body, index, field);
      const max = GENERIC_MAX_LENGTHS[field];
      if (hit === null || max === undefined || typeof hit.value !== 'string' || hit.value.length <= max) return hit;
      if (!tooLong.has(hit.key)) {
        tooLong.add(hit.key);
        reasons.push(reason(hit.key, 'maxLength', `${hit.key} must be shorter than or equal to ${max} characters`, hit.value));
      }
      return null;
    };
    const get = (field: Field): { key: string; value: unknown } | null => {
      const hit = peek(field);
      if (hit !== null) used.add(hit.key);
      return hit;
    };
    // Every over-long field is reported, also those the mapping below would not look at.
    for (const field of Object.keys(GENERIC_MAX_LENGTHS) as Field[]) peek(field);
    const event = baseEvent(raw, 'generic');

    // Email: an email-named top-level key must hold an address; otherwise search everywhere.
    const emailKey = Object.keys(body).find((k) => isEmailKey(k) && body[k] !== null && body[k] !== '');
    if (emailKey !== undefined) {
      used.add(emailKey);
      if (isEmail(body[emailKey])) event.person.email = normaliseEmail(body[emailKey]);
      else reasons.push(reason(emailKey, 'isEmail', `${emailKey} must be an email address`, body[emailKey]));
    } else {
      event.person.email = findEmail(body)?.email ?? null;
    }

    let firstName = str(get('firstName')?.value);
    let lastName = str(get('lastName')?.value);
    const fullName = get('fullName');
    if (fullName !== null && firstName === null && lastName === null && typeof fullName.value === 'string') {
      const [first, ...rest] = fullName.value.trim().split(/\s+/);
      firstName = first || null;
      lastName = rest.length > 0 ? rest.join(' ') : null;
    } else if (fullName !== null) {
      used.delete(fullName.key);
    }
    event.person.firstName = firstName;
    event.person.lastName = lastName;
    event.person.nameSource = firstName !== null || lastName !== null ? 'payload' : null;

    const ip = get('ip');
    if (ip !== null) {
      if (typeof ip.value === 'string' && isIP(ip.value.trim()) !== 0) event.person.ip = ip.value.trim();
      else reasons.push(reason(ip.key, 'isIp', `${ip.key} must be an IP address`, ip.value));
    }

    const type = get('type');
    if (type !== null) {
      const t = typeof type.value === 'string' ? type.value.trim().toLowerCase() : '';
      if (TYPE_RE.test(t)) event.type = t;
      else reasons.push(reason(type.key, 'isEventType', `${type.key} must be an event type such as "purchase" (letters, digits, . _ : -)`, type.value));
    }

    const time = get('time');
    if (time !== null) {
      const t = parseTimestamp(time.value);
      if (t.ok) event.occurredAt = t.iso;
      else reasons.push(reason(time.key, t.rule, `${time.key} ${t.message}`, time.value));
    }

    const countryCode = get('countryCode');
    if (countryCode !== null && countryCodeOf(countryCode.value) === null) {
      reasons.push(reason(countryCode.key, 'isISO31661Alpha2', `${countryCode.key} must be a two-letter ISO 3166-1 country code such as "US"`, countryCode.value));
    }
    event.location = payloadLocation({
      city: str(get('city')?.value),
      state: str(get('state')?.value),
      stateCode: str(get('stateCode')?.value),
      country: str(get('country')?.value),
      countryCode: str(countryCode?.value),
    });

    const amount = get('amount');
    let impliedCurrency: string | null = null;
    if (amount !== null) {
      const a = parseAmount(amount.value);
      if (a.ok) {
        event.amount = a.amount;
        impliedCurrency = a.currency;
      } else {
        reasons.push(reason(amount.key, a.rule, `${amount.key} ${a.message}`, amount.value));
      }
    }
    const currency = get('currency');
    if (currency !== null) {
      const c = normaliseCurrency(currency.value);
      if (c.ok) event.currency = c.code;
      else reasons.push(reason(currency.key, c.rule, `${currency.key} ${c.message}`, currency.value));
    } else {
      event.currency = impliedCurrency;
    }

    const products = get('products');
    if (products !== null) {
      if (Array.isArray(products.value)) {
        products.value.forEach((item: unknown, i) => {
          if (!isPlainObject(item)) return;
          for (const [k, max] of Object.entries(PRODUCT_MAX_LENGTHS)) {
            const v = item[k];
            if (typeof v === 'string' && v.length > max) reasons.push(reason(`${products.key}[${i}].${k}`, 'maxLength', `${products.key}[${i}].${k} must be shorter than or equal to ${max} characters`, v));
          }
        });
        event.products = normaliseProducts(products.value);
      } else reasons.push(reason(products.key, 'isArray', `${products.key} must be an array of products`, products.value));
    }
    // A single product needs a name or an id; a link or image alone does not make one.
    let product: Product | null = pickProduct(event.products);
    const productField = peek('product');
    const productId = peek('productId');
    if (product === null && productField !== null && isPlainObject(productField.value)) {
      product = normaliseProduct(productField.value);
      used.add(productField.key);
    } else if (product === null && (productField !== null || productId !== null)) {
      product = {
        id: str(get('productId')?.value),
        name: str(get('product')?.value),
        link: str(get('productLink')?.value),
        image: str(get('productImage')?.value),
        price: event.amount,
        quantity: null,
      };
    }
    event.product = product;

    if (reasons.length > 0) return { ok: false, reasons };
    const attributes: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      if (!used.has(key) && !FORBIDDEN_KEYS.has(key)) attributes[key] = value;
    }
    event.attributes = attributes;
    return { ok: true, event };
  },
};
