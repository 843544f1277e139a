import { createHash } from 'node:crypto';
import { hashToken, matchToken, newApiKey, newSourceToken, parseApiKey, verifyApiKey } from './tokens';

const NOW = new Date('2026-03-01T12:00:00Z');

describe('newSourceToken', () => {
  it('is hst_ + base64url of 32 random bytes', () => {
    const token = newSourceToken();
    expect(token).toMatch(/^hst_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
  });

  it('differs every time', () => {
    expect(new Set(Array.from({ length: 100 }, () => newSourceToken())).size).toBe(100);
  });
});

describe('hashToken', () => {
  it('is SHA-256 hex of the token', () => {
    // Known SHA-256 of "abc" (FIPS 180-2 example).
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashToken('hst_x')).toBe(createHash('sha256').update('hst_x').digest('hex'));
  });
});

describe('matchToken', () => {
  const current = newSourceToken();
  const previous = newSourceToken();

  it('finds the candidate the token belongs to', () => {
    const candidates = [
      { hash: hashToken(current), expiresAt: null },
      { hash: hashToken(previous), expiresAt: '2026-03-02T00:00:00Z' },
    ];
    expect(matchToken(current, candidates, NOW)).toEqual({ ok: true, index: 0 });
    expect(matchToken(previous, candidates, NOW)).toEqual({ ok: true, index: 1 });
  });

  it('refuses an unknown token and an empty candidate list (unknown source)', () => {
    expect(matchToken(newSourceToken(), [{ hash: hashToken(current), expiresAt: null }], NOW)).toEqual({ ok: false });
    expect(matchToken(current, [], NOW)).toEqual({ ok: false });
  });

  it('honours expiry at the exact instant (grace period over)', () => {
    const candidates = [{ hash: hashToken(previous), expiresAt: new Date(NOW.getTime() + 1) }];
    expect(matchToken(previous, candidates, NOW).ok).toBe(true);
    expect(matchToken(previous, candidates, new Date(NOW.getTime() + 1)).ok).toBe(false);
  });

  it('treats an unreadable expiry as expired and a malformed hash as no match', () => {
    expect(matchToken(previous, [{ hash: hashToken(previous), expiresAt: 'soon' }], NOW).ok).toBe(false);
    expect(matchToken(previous, [{ hash: 'not-a-hash', expiresAt: null }], NOW).ok).toBe(false);
  });

  it('accepts the stored hash in upper case', () => {
    expect(matchToken(current, [{ hash: hashToken(current).toUpperCase(), expiresAt: null }], NOW).ok).toBe(true);
  });

  it('does not stop at the first candidate: a live later copy still matches after an expired one', () => {
    const candidates = [
      { hash: hashToken(current), expiresAt: '2026-01-01T00:00:00Z' },
      { hash: hashToken(current), expiresAt: null },
    ];
    expect(matchToken(current, candidates, NOW)).toEqual({ ok: true, index: 1 });
  });
});

describe('API keys', () => {
  it('newApiKey gives hsk_<id>_<secret>, a key_ record id and the hash of the secret', () => {
    const { apiKey, keyId, hash } = newApiKey();
    expect(apiKey).toMatch(/^hsk_[0-9a-z]+_[A-Za-z0-9_-]{43}$/);
    expect(keyId).toMatch(/^key_[0-9a-z]+$/);
    const parsed = parseApiKey(apiKey);
    expect(parsed?.keyId).toBe(keyId);
    expect(hashToken(parsed!.secret)).toBe(hash);
    expect(apiKey).not.toContain(hash);
  });

  it('parses keys whose secret contains _ and -', () => {
    const secret = 'ab_cd-ef' + 'x'.repeat(35);
    expect(parseApiKey(`hsk_0123456789abcdef_${secret}`)).toEqual({ keyId: 'key_0123456789abcdef', secret });
  });

  it.each(['', 'hsk_', 'hst_0123456789_' + 'x'.repeat(43), 'hsk_ABCDEFGHIJ_' + 'x'.repeat(43), 'hsk_0123456789_short', 'hsk_0123456789'])(
    'refuses the malformed key %p',
    (bad) => {
      expect(parseApiKey(bad)).toBeUndefined();
    },
  );

  it('verifyApiKey accepts the key for its record and refuses others', () => {
    const a = newApiKey();
    const b = newApiKey();
    expect(verifyApiKey(a.apiKey, { hash: a.hash, expiresAt: null }, NOW)).toEqual({ ok: true, keyId: a.keyId });
    expect(verifyApiKey(b.apiKey, { hash: a.hash, expiresAt: null }, NOW)).toEqual({ ok: false });
    expect(verifyApiKey(a.apiKey, undefined, NOW)).toEqual({ ok: false });
    expect(verifyApiKey('garbage', { hash: a.hash, expiresAt: null }, NOW)).toEqual({ ok: false });
    expect(verifyApiKey(a.apiKey, { hash: a.hash, expiresAt: '2026-01-01T00:00:00Z' }, NOW)).toEqual({ ok: false });
  });
});
