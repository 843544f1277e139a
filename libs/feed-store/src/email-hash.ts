import { createHmac } from 'node:crypto';
import { normaliseEmail } from '@hookstream/dialects';

/**
 * The feed stores an email only as HMAC-SHA256(normalised email) under a key derived from
 * SECRETS_KEY for this one purpose: the `email` filter can match exactly, the table never holds
 * an address, and without the key a stolen dump cannot be tested against a list of addresses.
 */
export class EmailHasher {
  private readonly key: Buffer;

  constructor(secretsKeyBase64: string) {
    this.key = createHmac('sha256', Buffer.from(secretsKeyBase64, 'base64')).update('hookstream/feed-email/v1', 'utf8').digest();
  }

  hash(email: string): string {
    return createHmac('sha256', this.key).update(normaliseEmail(email), 'utf8').digest('hex');
  }
}
