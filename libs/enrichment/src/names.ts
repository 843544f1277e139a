import { createHmac } from 'node:crypto';

export interface EmailName {
  firstName: string;
  lastName: string | null;
}

/**
 * Local parts that name a function or a mailbox, not a person. Matched against the whole
 * local part with separators and digits removed ("no-reply", "info2") and against every
 * token ("sales.team"); a person's token next to one ("john.sales") still names John.
 */
const ROLE_WORDS: ReadonlySet<string> = new Set([
  'info', 'information', 'sales', 'support', 'noreply', 'donotreply', 'dontreply', 'reply', 'admin', 'administrator',
  'contact', 'contacts', 'hello', 'hi', 'hey', 'billing', 'office', 'team', 'marketing', 'webmaster', 'postmaster',
  'hostmaster', 'mailerdaemon', 'abuse', 'help', 'helpdesk', 'jobs', 'job', 'hr', 'careers', 'career', 'recruiting',
  'newsletter', 'newsletters', 'news', 'notifications', 'notification', 'notify', 'alerts', 'alert', 'mail', 'email',
  'mailer', 'mailbox', 'enquiries', 'enquiry', 'inquiries', 'inquiry', 'accounts', 'account', 'accounting', 'finance',
  'invoices', 'invoice', 'orders', 'order', 'service', 'services', 'customer', 'customers', 'customerservice',
  'customercare', 'care', 'feedback', 'press', 'media', 'privacy', 'legal', 'security', 'root', 'system', 'sysadmin',
  'it', 'dev', 'devops', 'test', 'testing', 'tester', 'demo', 'example', 'user', 'users', 'web', 'www', 'shop',
  'store', 'booking', 'bookings', 'reservations', 'reception', 'general', 'partners', 'partner', 'affiliates',
  'bounce', 'bounces', 'welcome', 'ops', 'operations', 'purchasing', 'procurement', 'donations', 'events',
]);

const MAX_TOKEN_LENGTH = 20;

/** Email addresses never go into warnings or logs; this also scrubs them from third-party error text. */
export function redactEmails(text: string): string {
  return text.replace(/[^\s@"'<>(),;:[\]]+@[^\s@"'<>(),;:[\]]+/g, '[email]');
}

/** The form both the name table and dedupe compare: trimmed, lower-case. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * HMAC-SHA256 (hex) of the normalised email, keyed with a server secret: the name table
 * stores this key, never the address, and without the secret the key cannot be tested
 * against a list of known addresses.
 */
export function emailKey(email: string, secret: string): string {
  if (secret === '') throw new Error('emailKey: the secret must not be empty');
  return createHmac('sha256', secret).update(normaliseEmail(email)).digest('hex');
}

/** "anne-marie" → "Anne-Marie", "o'neil" → "O'Neil", "SMITH" → "Smith". */
export function capitaliseName(token: string): string {
  return token
    .toLowerCase()
    .split(/([-'’])/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function letterCount(token: string): number {
  return (token.match(/\p{L}/gu) ?? []).length;
}

/** A plausible name token: two letters or more, not absurdly long, and (in Latin script) with a vowel. */
function isNameToken(token: string): boolean {
  const letters = letterCount(token);
  if (letters < 2 || token.length > MAX_TOKEN_LENGTH) return false;
  // "xkcd", "jsmth": an ASCII token without a vowel is a handle, not a name.
  if (/^[a-z'-]+$/.test(token) && !/[aeiouy]/.test(token)) return false;
  return true;
}

/**
 * Guesses a person's name from an email's local part, ProveSource-style ("if not provided
 * we'll lookup the name using the email"):
 * - `john.smith@`, `john_smith@`, `john-smith@`, `john.smith+news42@` → John Smith;
 * - `.` and `_` separate names, so a hyphen inside them is part of one: `anne-marie.smith@` →
 *   Anne-Marie Smith; with hyphens only, hyphens separate (`anne-marie@` → Anne Marie);
 * - `john@` → John (no last name); `john.r.smith@` → John Smith (first and last tokens);
 * - digits and `+tags` are dropped; one-letter tokens (initials) are ignored, and a lone token
 *   after an initial (`j.smith@`) is a surname, so no first name is known → null;
 * - role and mailbox addresses (`info@`, `no-reply@`, `sales.team@`, `test@`) → null.
 */
export function nameFromEmail(email: string): EmailName | null {
  const at = email.lastIndexOf('@');
  if (at <= 0) return null;
  const local = email.slice(0, at).trim().toLowerCase().normalize('NFC').split('+')[0] ?? '';
  const compact = local.replace(/[^\p{L}]/gu, '');
  if (compact === '' || ROLE_WORDS.has(compact)) return null;

  const rawTokens = (/[._]/.test(local) ? local.split(/[._]+/) : local.split(/-+/))
    .map((t) => t.replace(/[^\p{L}'’-]/gu, '').replace(/^[-'’]+|[-'’]+$/g, ''))
    .filter((t) => t !== '');
  if (rawTokens.length === 0 || rawTokens.every((t) => ROLE_WORDS.has(t.replace(/[^\p{L}]/gu, '')))) return null;

  const firstKept = rawTokens.findIndex(isNameToken);
  if (firstKept < 0) return null;
  const [first, ...rest] = rawTokens.filter(isNameToken);
  if (first === undefined || (firstKept > 0 && rest.length === 0)) return null;
  const last = rest.at(-1);
  return { firstName: capitaliseName(first), lastName: last === undefined ? null : capitaliseName(last) };
}
