import { isValidWebhookSecret } from '@hookstream/webhooks';
import { ApiError } from '../common/api-error';
import type { SignatureInputDto, SignatureView } from './sources.dto';

/**
 * The stored (jsonb) form of a source's signature scheme: the contracts' SignatureScheme,
 * secret sealed. A change that keeps the kind may omit the secret to keep the current one.
 */
export function buildSignature(current: Record<string, unknown>, input: SignatureInputDto, seal: (secret: string) => string): Record<string, unknown> {
  if (input.kind === 'none') return { kind: 'none' };
  let secretEnc: string;
  if (input.secret !== undefined) {
    if (input.kind === 'standard-webhooks' && !isValidWebhookSecret(input.secret)) {
      throw ApiError.validation('signature.secret must be a Standard Webhooks secret: "whsec_" followed by base64 of 24 to 64 bytes', [
        { field: 'signature.secret', code: 'isWebhookSecret', message: 'not a valid whsec_ secret' },
      ]);
    }
    secretEnc = seal(input.secret);
  } else if (current['kind'] === input.kind && typeof current['secretEnc'] === 'string') {
    secretEnc = current['secretEnc'];
  } else {
    throw ApiError.validation(`signature.secret is required when switching to ${input.kind}`, [
      { field: 'signature.secret', code: 'isDefined', message: 'signature.secret is required' },
    ]);
  }
  if (input.kind === 'standard-webhooks') {
    const tolerance = input.toleranceSeconds ?? (current['kind'] === input.kind ? current['toleranceSeconds'] : undefined);
    return { kind: input.kind, secretEnc, ...(typeof tolerance === 'number' ? { toleranceSeconds: tolerance } : {}) };
  }
  // header is required for this kind by the DTO; header names are case-insensitive.
  const header = (input.header ?? '').toLowerCase();
  return { kind: input.kind, secretEnc, header, ...(input.prefix ? { prefix: input.prefix } : {}) };
}

export function signatureView(stored: Record<string, unknown>): SignatureView {
  const kind = stored['kind'];
  if (kind === 'standard-webhooks') {
    return { kind, hasSecret: typeof stored['secretEnc'] === 'string', ...(typeof stored['toleranceSeconds'] === 'number' ? { toleranceSeconds: stored['toleranceSeconds'] } : {}) };
  }
  if (kind === 'hmac-sha256-hex') {
    return {
      kind,
      hasSecret: typeof stored['secretEnc'] === 'string',
      ...(typeof stored['header'] === 'string' ? { header: stored['header'] } : {}),
      ...(typeof stored['prefix'] === 'string' ? { prefix: stored['prefix'] } : {}),
    };
  }
  return { kind: 'none', hasSecret: false };
}
