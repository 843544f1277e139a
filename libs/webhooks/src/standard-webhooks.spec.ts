import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  decodeWebhookSecret,
  isValidWebhookSecret,
  newWebhookSecret,
  sign,
  signatureHeader,
  verify,
  webhookHeaders,
  WebhookSecretError,
} from './standard-webhooks';

// The Standard Webhooks specification's published test vector.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const AT_VECTOR_TIME = new Date(VECTOR.timestamp * 1000);

function vectorHeaders(signature = VECTOR.signature, timestamp = String(VECTOR.timestamp)) {
  return { 'webhook-id': VECTOR.id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
}

describe('newWebhookSecret', () => {
  it('is whsec_ followed by base64 of 32 random bytes', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(decodeWebhookSecret(secret)).toHaveLength(32);
    expect(isValidWebhookSecret(secret)).toBe(true);
  });

  it('differs every time', () => {
    const secrets = new Set(Array.from({ length: 50 }, () => newWebhookSecret()));
    expect(secrets.size).toBe(50);
  });
});

describe('decodeWebhookSecret / isValidWebhookSecret', () => {
  it('accepts the secret with or without the whsec_ prefix', () => {
    expect(decodeWebhookSecret(VECTOR.secret)).toEqual(decodeWebhookSecret(VECTOR.secret.slice(6)));
    expect(decodeWebhookSecret(VECTOR.secret)).toHaveLength(24);
  });

  it.each(['whsec_', 'whsec_not base64!', 'whsec_abc$', 'whsec_A'])('refuses malformed secret %p', (bad) => {
    expect(() => decodeWebhookSecret(bad)).toThrow(WebhookSecretError);
    expect(isValidWebhookSecret(bad)).toBe(false);
  });

  it('accepts 24..64 byte keys only as storable secrets', () => {
    const ofLength = (n: number) => 'whsec_' + Buffer.alloc(n, 7).toString('base64');
    expect(isValidWebhookSecret(ofLength(23))).toBe(false);
    expect(isValidWebhookSecret(ofLength(24))).toBe(true);
    expect(isValidWebhookSecret(ofLength(64))).toBe(true);
    expect(isValidWebhookSecret(ofLength(65))).toBe(false);
  });
});

describe('sign', () => {
  it('reproduces the specification test vector', () => {
    expect(sign({ id: VECTOR.id, timestamp: VECTOR.timestamp, body: VECTOR.body }, VECTOR.secret)).toBe(VECTOR.signature);
  });

  it('signs a Buffer body as the same bytes as its string', () => {
    const fromBuffer = sign({ id: VECTOR.id, timestamp: VECTOR.timestamp, body: Buffer.from(VECTOR.body) }, VECTOR.secret);
    expect(fromBuffer).toBe(VECTOR.signature);
  });

  it('changes when any of id, timestamp or body changes', () => {
    const base = { id: VECTOR.id, timestamp: VECTOR.timestamp, body: VECTOR.body };
    const variants = [
      { ...base, id: 'msg_other' },
      { ...base, timestamp: base.timestamp + 1 },
      { ...base, body: base.body + ' ' },
    ];
    for (const v of variants) expect(sign(v, VECTOR.secret)).not.toBe(VECTOR.signature);
  });

  it('keeps the keys of many secrets apart when they sign in turn (keys are cached per secret)', () => {
    const input = { id: VECTOR.id, timestamp: VECTOR.timestamp, body: VECTOR.body };
    const secrets = Array.from({ length: 20 }, () => newWebhookSecret());
    const expected = secrets.map((s) => 'v1,' + createHmac('sha256', decodeWebhookSecret(s)).update(`${input.id}.${input.timestamp}.${input.body}`).digest('base64'));
    for (let round = 0; round < 3; round++) {
      expect(secrets.map((s) => sign(input, s))).toEqual(expected);
      expect(sign(input, VECTOR.secret)).toBe(VECTOR.signature);
    }
  });

  it('refuses a malformed secret every time it is used, not only the first', () => {
    for (let i = 0; i < 2; i++) expect(() => sign({ id: 'a', timestamp: 1, body: '' }, 'whsec_abc$')).toThrow(WebhookSecretError);
  });

  it('refuses a timestamp in milliseconds or with a fraction', () => {
    expect(() => sign({ id: 'a', timestamp: 1.5, body: '' }, VECTOR.secret)).toThrow(RangeError);
    expect(() => sign({ id: 'a', timestamp: -1, body: '' }, VECTOR.secret)).toThrow(RangeError);
  });
});

describe('signatureHeader / webhookHeaders', () => {
  it('lists one v1 signature per secret, current first, space-separated', () => {
    const previous = newWebhookSecret();
    const header = signatureHeader(VECTOR.id, VECTOR.timestamp, VECTOR.body, [VECTOR.secret, previous]);
    const parts = header.split(' ');
    expect(parts).toHaveLength(2);
    expect(parts[0]).toBe(VECTOR.signature);
    expect(parts[1]).toBe(sign({ id: VECTOR.id, timestamp: VECTOR.timestamp, body: VECTOR.body }, previous));
  });

  it('needs at least one secret', () => {
    expect(() => signatureHeader('a', 1, '', [])).toThrow(WebhookSecretError);
  });

  it('builds the three headers of a delivery', () => {
    expect(webhookHeaders(VECTOR.id, VECTOR.timestamp, VECTOR.body, [VECTOR.secret])).toEqual(vectorHeaders());
  });
});

describe('verify', () => {
  it('accepts the specification test vector', () => {
    const result = verify(vectorHeaders(), VECTOR.body, [VECTOR.secret], { now: AT_VECTOR_TIME });
    expect(result).toEqual({ ok: true, id: VECTOR.id, timestamp: VECTOR.timestamp, secretIndex: 0 });
  });

  it('finds header names case-insensitively and accepts a Buffer body', () => {
    const headers = { 'Webhook-Id': VECTOR.id, 'WEBHOOK-TIMESTAMP': String(VECTOR.timestamp), 'webhook-signature': [VECTOR.signature] };
    expect(verify(headers, Buffer.from(VECTOR.body), [VECTOR.secret], { now: AT_VECTOR_TIME }).ok).toBe(true);
  });

  it.each([['webhook-id'], ['webhook-timestamp'], ['webhook-signature']])('reports missing_headers without %s', (name) => {
    const headers: Record<string, string> = vectorHeaders();
    delete headers[name];
    const result = verify(headers, VECTOR.body, [VECTOR.secret], { now: AT_VECTOR_TIME });
    expect(result).toMatchObject({ ok: false, reason: 'missing_headers' });
  });

  it('accepts timestamps up to the tolerance away, in both directions, and refuses beyond', () => {
    const at = (offset: number) =>
      verify(vectorHeaders(), VECTOR.body, [VECTOR.secret], { now: new Date((VECTOR.timestamp + offset) * 1000), toleranceSeconds: 300 });
    expect(at(300).ok).toBe(true);
    expect(at(-300).ok).toBe(true);
    expect(at(301)).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
    expect(at(-301)).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
  });

  it('uses a 300 s tolerance by default and honours a configured one', () => {
    const now = new Date((VECTOR.timestamp + 600) * 1000);
    expect(verify(vectorHeaders(), VECTOR.body, [VECTOR.secret], { now })).toMatchObject({ reason: 'timestamp_out_of_tolerance' });
    expect(verify(vectorHeaders(), VECTOR.body, [VECTOR.secret], { now, toleranceSeconds: 600 }).ok).toBe(true);
  });

  it.each(['abc', '1614265330.5', '-1', '1e9'])('refuses the non-integer timestamp %p', (ts) => {
    const result = verify(vectorHeaders(VECTOR.signature, ts), VECTOR.body, [VECTOR.secret], { now: AT_VECTOR_TIME });
    expect(result).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
  });

  it('refuses a tampered body, a wrong secret and a forged signature', () => {
    const opts = { now: AT_VECTOR_TIME };
    expect(verify(vectorHeaders(), '{"test": 2432232315}', [VECTOR.secret], opts)).toMatchObject({ reason: 'bad_signature' });
    expect(verify(vectorHeaders(), VECTOR.body, [newWebhookSecret()], opts)).toMatchObject({ reason: 'bad_signature' });
    const forged = 'v1,' + Buffer.alloc(32).toString('base64');
    expect(verify(vectorHeaders(forged), VECTOR.body, [VECTOR.secret], opts)).toMatchObject({ reason: 'bad_signature' });
  });

  it('ignores signatures of other versions, truncated ones and garbage entries', () => {
    const opts = { now: AT_VECTOR_TIME };
    const b64 = VECTOR.signature.slice(3);
    for (const sig of [`v2,${b64}`, `v1a,${b64}`, `v1,${b64.slice(0, 20)}`, `${b64}`, 'v1,', 'v1,@@@']) {
      expect(verify(vectorHeaders(sig), VECTOR.body, [VECTOR.secret], opts)).toMatchObject({ reason: 'bad_signature' });
    }
  });

  it('accepts when any listed signature matches any secret (rotation), and says which secret', () => {
    const oldSecret = newWebhookSecret();
    const header = `v1,${Buffer.alloc(32, 1).toString('base64')} ${VECTOR.signature}`;
    const result = verify(vectorHeaders(header), VECTOR.body, [oldSecret, VECTOR.secret], { now: AT_VECTOR_TIME });
    expect(result).toMatchObject({ ok: true, secretIndex: 1 });
  });

  it('refuses when no secret is configured', () => {
    expect(verify(vectorHeaders(), VECTOR.body, [], { now: AT_VECTOR_TIME })).toMatchObject({ reason: 'bad_signature' });
  });

  it('signs the timestamp text as sent (leading zeros included)', () => {
    const ts = '0' + String(VECTOR.timestamp);
    const body = VECTOR.body;
    const sig = 'v1,' + createHmac('sha256', decodeWebhookSecret(VECTOR.secret)).update(`${VECTOR.id}.${ts}.${body}`).digest('base64');
    expect(verify(vectorHeaders(sig, ts), body, [VECTOR.secret], { now: AT_VECTOR_TIME }).ok).toBe(true);
    expect(verify(vectorHeaders(VECTOR.signature, ts), body, [VECTOR.secret], { now: AT_VECTOR_TIME }).ok).toBe(false);
  });
});

describe('compatibility with the official standardwebhooks package', () => {
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  it('their Webhook class verifies what we sign, including a rotation header', () => {
    const secret = newWebhookSecret();
    const ts = nowSeconds();
    const body = JSON.stringify({ type: 'contact.updated', timestamp: new Date().toISOString(), data: { id: 1, name: 'Zoë' } });
    const headers = webhookHeaders('msg_compat1', ts, body, [newWebhookSecret(), secret]);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('their Webhook class rejects what we sign with another secret', () => {
    const ts = nowSeconds();
    const headers = webhookHeaders('msg_compat2', ts, '{}', [newWebhookSecret()]);
    expect(() => new Webhook(newWebhookSecret()).verify('{}', headers)).toThrow('No matching signature found');
  });

  it('we verify what their Webhook class signs', () => {
    const secret = newWebhookSecret();
    const ts = nowSeconds();
    const body = '{"hello":"wörld"}';
    const signature = new Webhook(secret).sign('msg_compat3', new Date(ts * 1000), body);
    const headers = { 'webhook-id': 'msg_compat3', 'webhook-timestamp': String(ts), 'webhook-signature': signature };
    expect(verify(headers, body, [secret])).toMatchObject({ ok: true, secretIndex: 0 });
    expect(verify(headers, body + ' ', [secret])).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('both produce the same signature for the same input', () => {
    const secret = newWebhookSecret();
    const ts = nowSeconds();
    expect(sign({ id: 'msg_x', timestamp: ts, body: '[1,2,3]' }, secret)).toBe(new Webhook(secret).sign('msg_x', new Date(ts * 1000), '[1,2,3]'));
  });
});
