import { stringify } from 'qs';

/**
 * Outbound bodies. `form` mirrors ActiveCampaign's webhook POST parameters so receivers
 * built for ActiveCampaign (Zapier, PHP handlers reading `$_POST['contact']['email']`)
 * work unchanged; `json` is the Standard Webhooks body.
 */

export type FormValue = string | number | boolean | null | undefined | readonly FormValue[] | { readonly [key: string]: FormValue };

export interface FormContact {
  id: string | number;
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  orgname?: string | null;
  tags: readonly string[];
  /** Custom fields by personalisation tag. */
  fields: Readonly<Record<string, string>>;
}

export interface FormPayloadInput {
  type: string;
  /** ISO 8601 with offset; a Date is written in UTC as `YYYY-MM-DDTHH:mm:ss+00:00`, like ActiveCampaign. */
  dateTime: string | Date;
  initiatedFrom: string;
  initiatedBy: string;
  list: string | number;
  contact: FormContact;
  /** Further top-level parameters (e.g. `deal`, `campaign`); they never replace the fields above. */
  extra?: Readonly<Record<string, FormValue>>;
}

function acDateTime(value: string | Date): string {
  if (typeof value === 'string') return value;
  return value.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/**
 * Brackets are the nesting syntax of the format, so a field key containing one would be
 * read back as a different structure; they become `_` (perstags never contain them).
 */
function safeKey(key: string): string {
  return key.replace(/[[\]]/g, '_');
}

function safeKeys(value: FormValue): FormValue {
  if (Array.isArray(value)) return value.map(safeKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, FormValue> = {};
    for (const [k, v] of Object.entries(value as Record<string, FormValue>)) out[safeKey(k)] = safeKeys(v);
    return out;
  }
  return value;
}

/** `application/x-www-form-urlencoded` body in ActiveCampaign's shape. */
export function formPayload(input: FormPayloadInput): string {
  const c = input.contact;
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.fields)) fields[safeKey(k)] = v;
  const contact: Record<string, FormValue> = {
    id: String(c.id),
    email: c.email,
    first_name: c.firstName ?? '',
    last_name: c.lastName ?? '',
  };
  if (c.phone != null) contact['phone'] = c.phone;
  if (c.orgname != null) contact['orgname'] = c.orgname;
  contact['tags'] = c.tags.join(',');
  contact['fields'] = fields;

  const core: Record<string, FormValue> = {
    type: input.type,
    date_time: acDateTime(input.dateTime),
    initiated_from: input.initiatedFrom,
    initiated_by: input.initiatedBy,
    list: String(input.list),
    contact,
  };
  const body: Record<string, FormValue> = { ...core };
  for (const [k, v] of Object.entries(input.extra ?? {})) {
    const key = safeKey(k);
    if (!(key in core)) body[key] = safeKeys(v);
  }

  return stringify(body, {
    arrayFormat: 'brackets',
    format: 'RFC1738',
    // Like encodeValuesOnly (readable `contact[email]`), but still escapes odd characters
    // in keys such as `&` or `=`, which encodeValuesOnly would pass through unescaped.
    encoder: (str: unknown, defaultEncoder, charset, kind) => {
      const encoded = defaultEncoder(str, defaultEncoder, charset);
      return kind === 'key' ? encoded.replace(/%5B/gi, '[').replace(/%5D/gi, ']') : encoded;
    },
  });
}

/** The Standard Webhooks JSON body: `{"type","timestamp","data"}`, timestamp in ISO 8601. */
export function jsonPayload(type: string, timestamp: string | Date, data: unknown): string {
  return JSON.stringify({ type, timestamp: typeof timestamp === 'string' ? timestamp : timestamp.toISOString(), data });
}
