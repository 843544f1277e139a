import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for secrets at rest and on the config topic (endpoint signing secrets,
 * source verification secrets). GCM authenticates as well as encrypts, so a flipped bit
 * or a different key is detected instead of yielding a wrong secret.
 *
 * Sealed form: `v1.<iv>.<tag>.<ciphertext>`, each part base64url — ASCII-safe for JSON,
 * columns and logs, and the version leaves room for key rotation later.
 */

const VERSION = 'v1';
const KEY_BYTES = 32;
/** 96-bit IVs are GCM's native size; random ones are safe far beyond the number of secrets we seal. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PART = /^[A-Za-z0-9_-]*$/;

export type SecretBoxErrorCode = 'invalid_key' | 'malformed' | 'unsupported_version' | 'authentication_failed';

export class SecretBoxError extends Error {
  constructor(
    readonly code: SecretBoxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** From the deployment's SECRETS_KEY (standard base64 or base64url of 32 bytes). */
  static fromBase64Key(key: string): SecretBox {
    const text = key.trim();
    const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
    if (bytes.length !== KEY_BYTES) {
      // Never echo the key: this message ends up in boot logs.
      throw new SecretBoxError(
        'invalid_key',
        `the secrets key must be ${KEY_BYTES} bytes encoded as base64 (got ${bytes.length} bytes); generate one with: openssl rand -base64 32`,
      );
    }
    return new SecretBox(bytes);
  }

  /**
   * Encrypts a UTF-8 string. `context` (e.g. the endpoint id) is bound as associated data,
   * so a sealed value copied onto another record fails to open there.
   */
  seal(plaintext: string, context = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  /** Decrypts a value from `seal`; throws SecretBoxError if it was altered or sealed with another key/context. */
  open(sealed: string, context = ''): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || !parts.every((p) => PART.test(p))) {
      throw new SecretBoxError('malformed', 'sealed secret is not of the form v1.<iv>.<tag>.<ciphertext>');
    }
    const [version, ivText, tagText, ciphertextText] = parts;
    if (version !== VERSION) throw new SecretBoxError('unsupported_version', `sealed secret version "${version}" is not supported`);
    const iv = Buffer.from(ivText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new SecretBoxError('malformed', 'sealed secret has a wrong-sized iv or tag');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(
        'authentication_failed',
        'sealed secret failed authentication: it was altered, or sealed with a different SECRETS_KEY or context',
      );
    }
  }
}
