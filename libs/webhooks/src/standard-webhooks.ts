import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type Hmac, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { HeaderBag, headerValue } from './headers';

/**
 * Standard Webhooks (https://www.standardwebhooks.com) signing and verification.
 * Used outbound by delivery (sign) and inbound by the gateway (verify) for sources that
 * sign with the same scheme (Svix, Supabase, Resend, …).
 */

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** The specification asks for 24..64 byte keys; shorter keys are refused when a secret is configured. */
export const WEBHOOK_SECRET_MIN_BYTES = 24;
export const WEBHOOK_SECRET_MAX_BYTES = 64;
export const DEFAULT_TOLERANCE_SECONDS = 300;
/** Caps the work an attacker can force by sending a header with thousands of entries. */
const MAX_SIGNATURES_CHECKED = 16;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export class WebhookSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSecretError';
  }
}

/** A fresh `whsec_` secret: 32 random bytes, base64. */
export function newWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * The HMAC key of a secret: the base64 after `whsec_` (the prefix is optional, since
 * senders often show the bare base64). Throws on anything that is not strict base64,
 * because Buffer's lenient decoder would silently turn a typo into a different key.
 */
export function decodeWebhookSecret(secret: string): Buffer {
  const b64 = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret;
  if (!BASE64.test(b64) || b64.replace(/=+$/, '').length % 4 === 1) {
    throw new WebhookSecretError('webhook secret must be "whsec_" followed by base64');
  }
  const key = Buffer.from(b64, 'base64');
  if (key.length === 0) throw new WebhookSecretError('webhook secret is empty');
  return key;
}

/** Whether a user-supplied secret is acceptable to store (well-formed, 24..64 bytes). */
export function isValidWebhookSecret(secret: string): boolean {
  try {
    const n = decodeWebhookSecret(secret).length;
    return n >= WEBHOOK_SECRET_MIN_BYTES && n <= WEBHOOK_SECRET_MAX_BYTES;
  } catch {
    return false;
  }
}

export interface SignInput {
  id: string;
  /** Unix time in seconds, as sent in `webhook-timestamp`. */
  timestamp: number;
  /** The exact bytes sent; a Buffer is signed as-is, a string as UTF-8. */
  body: string | Buffer;
}

/**
 * HMAC keys of the secrets in use, by secret: decoding the base64 and preparing the key each time
 * took half of a signature's CPU (delivery signs every attempt). A bounded cache: a secret rotated
 * out falls off; a malformed one is never cached (it throws).
 */
const hmacKeys = new LRUCache<string, KeyObject>({ max: 10_000 });

function hmacKey(secret: string): KeyObject {
  let key = hmacKeys.get(secret);
  if (!key) hmacKeys.set(secret, (key = createSecretKey(decodeWebhookSecret(secret))));
  return key;
}

/** HMAC-SHA256 of `id.timestamp.body`; `timestamp` is the header text itself, so a sender's leading zeros are signed as sent. */
function hmac(secret: string, id: string, timestamp: string, body: string | Buffer): Hmac {
  const h = createHmac('sha256', hmacKey(secret));
  return typeof body === 'string' ? h.update(`${id}.${timestamp}.${body}`, 'utf8') : h.update(`${id}.${timestamp}.`, 'utf8').update(body);
}

function assertTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`webhook timestamp must be whole seconds since the epoch, got ${timestamp}`);
  }
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export function sign(input: SignInput, secret: string): string {
  assertTimestamp(input.timestamp);
  return `v1,${hmac(secret, input.id, String(input.timestamp), input.body).digest('base64')}`;
}

/**
 * The `webhook-signature` value: one `v1,…` per secret, space-separated, so receivers
 * holding either the current or the previous secret accept it during a rotation.
 */
export function signatureHeader(id: string, timestamp: number, body: string | Buffer, secrets: readonly string[]): string {
  if (secrets.length === 0) throw new WebhookSecretError('at least one signing secret is required');
  return secrets.map((s) => sign({ id, timestamp, body }, s)).join(' ');
}

export interface StandardWebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three headers of an outbound delivery. */
export function webhookHeaders(
  id: string,
  timestamp: number,
  body: string | Buffer,
  secrets: readonly string[],
): StandardWebhookHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(id, timestamp, body, secrets),
  };
}

export type WebhookVerifyFailure = 'missing_headers' | 'timestamp_out_of_tolerance' | 'bad_signature';

export type WebhookVerifyResult =
  | { ok: true; id: string; timestamp: number; /** Which of the given secrets matched (rotation metrics). */ secretIndex: number }
  | { ok: false; reason: WebhookVerifyFailure; message: string };

export interface VerifyOptions {
  toleranceSeconds?: number;
  now?: Date;
}

/**
 * Verifies a signed request. Every candidate is compared with `timingSafeEqual` on
 * equal-length buffers, so the time taken reveals nothing about how much of a forged
 * signature was right. A non-numeric timestamp is reported as out of tolerance: it is
 * no more trustworthy than a stale one and the caller answers both the same way.
 * A malformed configured secret throws WebhookSecretError: that is a configuration
 * fault, not the sender's, and control-api validates secrets when they are saved.
 */
export function verify(
  headers: HeaderBag,
  body: string | Buffer,
  secrets: readonly string[],
  options: VerifyOptions = {},
): WebhookVerifyResult {
  const id = headerValue(headers, 'webhook-id');
  const ts = headerValue(headers, 'webhook-timestamp');
  const sig = headerValue(headers, 'webhook-signature');
  if (!id || !ts || !sig) {
    return { ok: false, reason: 'missing_headers', message: 'webhook-id, webhook-timestamp and webhook-signature are required' };
  }

  const tsText = ts.trim();
  if (!/^\d{1,15}$/.test(tsText)) {
    return { ok: false, reason: 'timestamp_out_of_tolerance', message: 'webhook-timestamp is not a whole number of seconds' };
  }
  const timestamp = Number(tsText);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - timestamp) > tolerance) {
    return {
      ok: false,
      reason: 'timestamp_out_of_tolerance',
      message: `webhook-timestamp is more than ${tolerance}s away from the current time`,
    };
  }

  const presented: Buffer[] = [];
  for (const entry of sig.trim().split(/\s+/).slice(0, MAX_SIGNATURES_CHECKED)) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const b64 = entry.slice(comma + 1);
    if (BASE64.test(b64)) presented.push(Buffer.from(b64, 'base64'));
  }

  for (let i = 0; i < secrets.length; i++) {
    const expected = hmac(secrets[i], id, tsText, body).digest();
    for (const candidate of presented) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) {
        return { ok: true, id, timestamp, secretIndex: i };
      }
    }
  }
  return { ok: false, reason: 'bad_signature', message: 'no signature matched' };
}
