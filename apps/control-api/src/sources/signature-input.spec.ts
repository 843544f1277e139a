import { ApiError } from '../common/api-error';
import { buildSignature, signatureView } from './signature-input';

const seal = (s: string): string => `sealed(${s})`;
const WHSEC = 'whsec_' + Buffer.alloc(32, 7).toString('base64');

describe('buildSignature', () => {
  it('seals a new secret and lower-cases the header name', () => {
    expect(buildSignature({ kind: 'none' }, { kind: 'hmac-sha256-hex', secret: 'abcdefgh12', header: 'X-Sig', prefix: 'sha256=' }, seal)).toEqual({
      kind: 'hmac-sha256-hex', secretEnc: 'sealed(abcdefgh12)', header: 'x-sig', prefix: 'sha256=',
    });
  });

  it('keeps the sealed secret when the kind stays the same and no secret is sent', () => {
    const current = { kind: 'standard-webhooks', secretEnc: 'sealed(old)', toleranceSeconds: 60 };
    expect(buildSignature(current, { kind: 'standard-webhooks' }, seal)).toEqual(current);
  });

  it('requires a secret when switching kinds', () => {
    expect(() => buildSignature({ kind: 'hmac-sha256-hex', secretEnc: 'x', header: 'h' }, { kind: 'standard-webhooks' }, seal)).toThrow(ApiError);
  });

  it('refuses a standard-webhooks secret that is not whsec_ base64 of 24..64 bytes', () => {
    expect(() => buildSignature({ kind: 'none' }, { kind: 'standard-webhooks', secret: 'not-a-whsec-secret' }, seal)).toThrow(/whsec_/);
    expect(buildSignature({ kind: 'none' }, { kind: 'standard-webhooks', secret: WHSEC }, seal)).toEqual({ kind: 'standard-webhooks', secretEnc: `sealed(${WHSEC})` });
  });

  it('drops the secret when verification is turned off', () => {
    expect(buildSignature({ kind: 'hmac-sha256-hex', secretEnc: 'x', header: 'h' }, { kind: 'none', secret: 'ignored1' }, seal)).toEqual({ kind: 'none' });
  });
});

describe('signatureView', () => {
  it('says whether a secret is set without showing it', () => {
    const v = signatureView({ kind: 'hmac-sha256-hex', secretEnc: 'sealed(x)', header: 'x-sig' });
    expect(v).toEqual({ kind: 'hmac-sha256-hex', hasSecret: true, header: 'x-sig' });
    expect(JSON.stringify(v)).not.toContain('sealed');
  });
});
