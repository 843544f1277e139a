import { signHmacHex, verifyHmacHex } from './hmac-hex';

// GitHub's documented example ("Validating webhook deliveries").
const GITHUB = {
  secret: "It's a Secret to Everybody",
  payload: 'Hello, World!',
  header: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
};
const GITHUB_OPTS = { header: 'X-Hub-Signature-256', prefix: 'sha256=' };

describe('signHmacHex', () => {
  it("reproduces GitHub's documented signature", () => {
    expect(signHmacHex(GITHUB.payload, GITHUB.secret, 'sha256=')).toBe(GITHUB.header);
    expect(signHmacHex(Buffer.from(GITHUB.payload), GITHUB.secret)).toBe(GITHUB.header.slice('sha256='.length));
  });
});

describe('verifyHmacHex', () => {
  it("accepts GitHub's documented example with the header in any case", () => {
    expect(verifyHmacHex({ 'x-hub-signature-256': GITHUB.header }, GITHUB.payload, [GITHUB.secret], GITHUB_OPTS)).toEqual({
      ok: true,
      secretIndex: 0,
    });
    expect(verifyHmacHex({ 'X-HUB-SIGNATURE-256': GITHUB.header }, Buffer.from(GITHUB.payload), [GITHUB.secret], GITHUB_OPTS).ok).toBe(true);
  });

  it('treats hex digits and the prefix case-insensitively', () => {
    expect(verifyHmacHex({ 'x-hub-signature-256': GITHUB.header.toUpperCase() }, GITHUB.payload, [GITHUB.secret], GITHUB_OPTS).ok).toBe(true);
  });

  it('works without a prefix', () => {
    const hex = GITHUB.header.slice('sha256='.length);
    expect(verifyHmacHex({ 'x-signature': hex }, GITHUB.payload, [GITHUB.secret], { header: 'x-signature' }).ok).toBe(true);
  });

  it('reports a missing or empty header', () => {
    expect(verifyHmacHex({}, GITHUB.payload, [GITHUB.secret], GITHUB_OPTS)).toMatchObject({ ok: false, reason: 'missing_header' });
    expect(verifyHmacHex({ 'x-hub-signature-256': ' ' }, GITHUB.payload, [GITHUB.secret], GITHUB_OPTS)).toMatchObject({
      reason: 'missing_header',
    });
  });

  it.each([
    ['wrong prefix', 'sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'],
    ['prefix missing', '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'],
    ['too short', 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1'],
    ['too long', 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e170'],
    ['not hex', 'sha256=z57107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'],
    ['one digit off', 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18'],
  ])('refuses a signature with %s', (_label, value) => {
    expect(verifyHmacHex({ 'x-hub-signature-256': value }, GITHUB.payload, [GITHUB.secret], GITHUB_OPTS)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses a changed body or another secret', () => {
    expect(verifyHmacHex({ 'x-hub-signature-256': GITHUB.header }, 'Hello, World?', [GITHUB.secret], GITHUB_OPTS).ok).toBe(false);
    expect(verifyHmacHex({ 'x-hub-signature-256': GITHUB.header }, GITHUB.payload, ['another secret'], GITHUB_OPTS).ok).toBe(false);
  });

  it('accepts any of several secrets during a rotation and says which', () => {
    expect(verifyHmacHex({ 'x-hub-signature-256': GITHUB.header }, GITHUB.payload, ['new secret', GITHUB.secret], GITHUB_OPTS)).toEqual({
      ok: true,
      secretIndex: 1,
    });
  });
});
