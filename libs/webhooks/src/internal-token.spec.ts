import { createHmac, randomBytes } from 'node:crypto';
import { internalToken, isInternalToken } from './internal-token';

describe('internal token', () => {
  const key = randomBytes(32).toString('base64');

  it('is the hex HMAC-SHA256 of "internal" keyed with the SECRETS_KEY bytes', () => {
    expect(internalToken(key)).toBe(createHmac('sha256', Buffer.from(key, 'base64')).update('internal').digest('hex'));
  });

  it('accepts only the token of the same key', () => {
    expect(isInternalToken(internalToken(key), key)).toBe(true);
    expect(isInternalToken(internalToken(randomBytes(32).toString('base64')), key)).toBe(false);
    expect(isInternalToken(internalToken(key).slice(0, -1), key)).toBe(false);
    expect(isInternalToken('', key)).toBe(false);
    expect(isInternalToken(undefined, key)).toBe(false);
  });
});
