import { randomBytes } from 'node:crypto';
import { SecretBox, SecretBoxError } from './secret-box';

const KEY = randomBytes(32).toString('base64');

function errorOf(fn: () => unknown): SecretBoxError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SecretBoxError) return e;
    throw e;
  }
  throw new Error('expected a SecretBoxError');
}

describe('SecretBox.fromBase64Key', () => {
  it('accepts 32 bytes in base64 or base64url', () => {
    const raw = randomBytes(32);
    const box = SecretBox.fromBase64Key(raw.toString('base64'));
    const sealed = box.seal('x');
    expect(SecretBox.fromBase64Key(raw.toString('base64url')).open(sealed)).toBe('x');
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['too long', randomBytes(33).toString('base64')],
    ['not base64', 'this is not a key at all!'],
    ['empty', ''],
  ])('refuses a key that is %s and says how to make one', (_label, key) => {
    const err = errorOf(() => SecretBox.fromBase64Key(key));
    expect(err.code).toBe('invalid_key');
    expect(err.message).toContain('openssl rand -base64 32');
    if (key !== '') expect(err.message).not.toContain(key);
  });
});

describe('SecretBox seal/open', () => {
  const box = SecretBox.fromBase64Key(KEY);

  it('round-trips, including unicode and the empty string', () => {
    for (const text of ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'Zoë 🚀', '']) expect(box.open(box.seal(text))).toBe(text);
  });

  it('produces v1.<iv>.<tag>.<ciphertext> in base64url, fresh IV each time', () => {
    const a = box.seal('same');
    const b = box.seal('same');
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]*$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('same');
  });

  it('detects a changed ciphertext, iv or tag', () => {
    const sealed = box.seal('a secret worth protecting');
    const parts = sealed.split('.');
    for (const index of [1, 2, 3]) {
      const bytes = Buffer.from(parts[index], 'base64url');
      bytes[0] ^= 0x01;
      const tampered = [...parts];
      tampered[index] = bytes.toString('base64url');
      expect(errorOf(() => box.open(tampered.join('.'))).code).toBe('authentication_failed');
    }
  });

  it('detects a different key with a clear message', () => {
    const sealed = box.seal('a');
    const err = errorOf(() => SecretBox.fromBase64Key(randomBytes(32).toString('base64')).open(sealed));
    expect(err.code).toBe('authentication_failed');
    expect(err.message).toMatch(/SECRETS_KEY/);
  });

  it('binds the context: a value sealed for one record does not open for another', () => {
    const sealed = box.seal('s', 'ep_1');
    expect(box.open(sealed, 'ep_1')).toBe('s');
    expect(errorOf(() => box.open(sealed, 'ep_2')).code).toBe('authentication_failed');
    expect(errorOf(() => box.open(sealed)).code).toBe('authentication_failed');
  });

  it.each([
    ['not sealed', 'plain text', 'malformed'],
    ['too few parts', 'v1.aaa.bbb', 'malformed'],
    ['bad characters', 'v1.a+a.b/b.c=c', 'malformed'],
    ['short iv', 'v1.AAAA.AAAAAAAAAAAAAAAAAAAAAA.AAAA', 'malformed'],
    ['other version', 'v2.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.AAAA', 'unsupported_version'],
  ])('refuses %s', (_label, sealed, code) => {
    expect(errorOf(() => box.open(sealed)).code).toBe(code);
  });
});
