import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const INTERNAL_TOKEN_HEADER = 'x-hookstream-internal';

/**
 * The service-to-service token control-api presents to the delivery app's internal API: hex HMAC-SHA256 of the string
 * `internal`, keyed with the 32 bytes of SECRETS_KEY. Both apps derive it from the key they
 * already share, so there is no extra secret to distribute or rotate.
 */
export function internalToken(secretsKey: string): string {
  return createHmac('sha256', Buffer.from(secretsKey, 'base64')).update('internal', 'utf8').digest('hex');
}

/** Constant-time whatever the presented length: both sides are hashed to 32 bytes first. */
export function isInternalToken(presented: string | undefined, secretsKey: string): boolean {
  const a = createHash('sha256').update(presented ?? '', 'utf8').digest();
  const b = createHash('sha256').update(internalToken(secretsKey), 'utf8').digest();
  return timingSafeEqual(a, b) && presented !== undefined;
}
