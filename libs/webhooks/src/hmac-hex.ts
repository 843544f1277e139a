import { createHmac, timingSafeEqual } from 'node:crypto';
import { HeaderBag, headerValue } from './headers';

/**
 * "HMAC-SHA256 hex of the raw body in a header", the scheme of GitHub
 * (`X-Hub-Signature-256: sha256=<hex>`), Shopify-style senders without base64, and many
 * form tools. The secret is used as UTF-8 bytes, as those senders do.
 */

export interface HmacHexOptions {
  /** Header carrying the signature, matched case-insensitively. */
  header: string;
  /** Text before the hex digits, e.g. `sha256=`; matched case-insensitively. */
  prefix?: string;
}

export type HmacHexFailure = 'missing_header' | 'bad_signature';
export type HmacHexResult = { ok: true; secretIndex: number } | { ok: false; reason: HmacHexFailure; message: string };

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

function digest(body: string | Buffer, secret: string): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest();
}

/** The header value a sender would send: `<prefix><lowercase hex>`. */
export function signHmacHex(body: string | Buffer, secret: string, prefix = ''): string {
  return prefix + digest(body, secret).toString('hex');
}

/**
 * Checks the header against each secret (several during a rotation). The hex is decoded
 * to bytes before comparing, which makes upper/lower case equivalent and lets
 * `timingSafeEqual` run on two 32-byte buffers.
 */
export function verifyHmacHex(
  headers: HeaderBag,
  body: string | Buffer,
  secrets: readonly string[],
  options: HmacHexOptions,
): HmacHexResult {
  const raw = headerValue(headers, options.header)?.trim();
  if (!raw) return { ok: false, reason: 'missing_header', message: `${options.header} header is required` };

  const prefix = options.prefix ?? '';
  if (raw.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) {
    return { ok: false, reason: 'bad_signature', message: `${options.header} must start with "${prefix}"` };
  }
  const hex = raw.slice(prefix.length);
  if (!HEX_SHA256.test(hex)) {
    return { ok: false, reason: 'bad_signature', message: `${options.header} must hold 64 hex digits` };
  }
  const presented = Buffer.from(hex, 'hex');
  for (let i = 0; i < secrets.length; i++) {
    if (timingSafeEqual(presented, digest(body, secrets[i]))) return { ok: true, secretIndex: i };
  }
  return { ok: false, reason: 'bad_signature', message: 'signature does not match' };
}
