import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { IdPrefix, newId } from '@hookstream/contracts';

/**
 * Source tokens and API keys.
 *
 * Both are 256 bits from the CSPRNG, so they are stored as plain SHA-256: a slow password
 * hash (bcrypt, scrypt, argon2) exists to make guessing low-entropy human passwords
 * expensive, and there is nothing to guess here — 2^256 candidates cannot be enumerated
 * at any hash speed. A fast hash also keeps the gateway's per-request check in
 * microseconds and lets the hash travel on the config topic and be looked up directly.
 */

export const SOURCE_TOKEN_PREFIX = 'hst_';
export const API_KEY_PREFIX = 'hsk_';
const TOKEN_BYTES = 32;
/**
 * A source has one token, or two during a rotation. Comparing against at least this many
 * slots (padding with a dummy) keeps "unknown source", "one token" and "rotating" close
 * in time, so timing does not reveal which sources exist.
 */
const MIN_COMPARISONS = 3;
const DUMMY_HASH = createHash('sha256').update('hookstream:dummy-token').digest();

export function newSourceToken(): string {
  return SOURCE_TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
}

/** SHA-256 hex of the token's UTF-8 bytes. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface TokenHash {
  hash: string;
  /** After this instant the token stops working (the end of a rotation's grace period); null = never. */
  expiresAt: string | Date | null;
}

export type TokenMatch = { ok: true; index: number } | { ok: false };

function expiresAtMs(expiresAt: string | Date | null): number {
  if (expiresAt === null) return Number.POSITIVE_INFINITY;
  const ms = expiresAt instanceof Date ? expiresAt.getTime() : Date.parse(expiresAt);
  // An unreadable expiry fails closed: the token is treated as already expired.
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

function hashBytes(hex: string): Buffer | undefined {
  return /^[0-9a-f]{64}$/i.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

/**
 * Finds the live candidate the presented token hashes to. Every candidate (and a dummy)
 * is compared without stopping at the first match, so the time taken depends only on
 * how many candidates there are, not on which one matched or whether one did.
 */
export function matchToken(presented: string, candidates: readonly TokenHash[], now: Date = new Date()): TokenMatch {
  const presentedHash = createHash('sha256').update(presented, 'utf8').digest();
  const nowMs = now.getTime();
  let found = -1;
  const slots = Math.max(candidates.length, MIN_COMPARISONS);
  for (let i = 0; i < slots; i++) {
    const candidate = i < candidates.length ? candidates[i] : undefined;
    const stored = candidate ? hashBytes(candidate.hash) : undefined;
    const equal = timingSafeEqual(presentedHash, stored ?? DUMMY_HASH);
    const live = candidate !== undefined && stored !== undefined && nowMs < expiresAtMs(candidate.expiresAt);
    if (equal && live && found < 0) found = i;
  }
  // The dummy comparison always runs so that zero candidates still costs one comparison.
  timingSafeEqual(presentedHash, DUMMY_HASH);
  return found >= 0 ? { ok: true, index: found } : { ok: false };
}

export interface NewApiKey {
  /** Shown to the user once; never stored. */
  apiKey: string;
  /** The API key record's id (`key_…`), recoverable from the key itself for lookup. */
  keyId: string;
  /** SHA-256 hex of the secret part; what gets stored. */
  hash: string;
}

/** `hsk_<id>_<secret>`: the id part finds the record, the secret part is checked against its hash. */
export function newApiKey(now: number = Date.now()): NewApiKey {
  const keyId = newId(IdPrefix.apiKey, now);
  const secret = randomBytes(TOKEN_BYTES).toString('base64url');
  return { apiKey: `${API_KEY_PREFIX}${keyId.slice(IdPrefix.apiKey.length + 1)}_${secret}`, keyId, hash: hashToken(secret) };
}

// The id part is base36 (no underscore); the secret is base64url and may contain '_' and '-'.
const API_KEY = /^hsk_([0-9a-z]{8,64})_([A-Za-z0-9_-]{43,128})$/;

export function parseApiKey(apiKey: string): { keyId: string; secret: string } | undefined {
  const m = API_KEY.exec(apiKey);
  if (!m) return undefined;
  return { keyId: `${IdPrefix.apiKey}_${m[1]}`, secret: m[2] };
}

/**
 * Checks a presented API key against the stored record found by its id (undefined when
 * no record exists — still compared against a dummy so both cases take the same time).
 */
export function verifyApiKey(apiKey: string, stored: TokenHash | undefined, now: Date = new Date()): { ok: true; keyId: string } | { ok: false } {
  const parsed = parseApiKey(apiKey);
  const result = matchToken(parsed?.secret ?? apiKey, stored ? [stored] : [], now);
  return parsed && result.ok ? { ok: true, keyId: parsed.keyId } : { ok: false };
}
