import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { parseApiKey, verifyApiKey } from '@hookstream/webhooks';
import { ApiError, ApiErrorCode } from '../common/api-error';
import { ApiKeysRepository } from './api-keys.repository';
import type { RequestWithCaller } from './caller';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface HttpRequestLike extends RequestWithCaller {
  method: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * `Authorization: Bearer hsk_…`. The key's id part finds the record; the secret part is compared
 * with its stored SHA-256. Unknown, malformed and revoked keys all get the same 401 so a caller
 * cannot probe which key ids exist. Read-scoped keys may only use safe methods.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly keys: ApiKeysRepository) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<HttpRequestLike>();
    const header = req.headers['authorization'];
    const value = Array.isArray(header) ? header[0] : header;
    const m = value ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
    if (!m) throw new ApiError(ApiErrorCode.unauthorized, 'missing API key: send Authorization: Bearer <api key>', HttpStatus.UNAUTHORIZED);
    const presented = m[1];
    const parsed = parseApiKey(presented);
    const record = parsed ? await this.keys.findById(parsed.keyId) : null;
    const result = verifyApiKey(presented, record ? { hash: record.secretHash, expiresAt: null } : undefined);
    if (!result.ok || !record || record.revokedAt) {
      throw new ApiError(ApiErrorCode.unauthorized, 'invalid or revoked API key', HttpStatus.UNAUTHORIZED);
    }
    if (record.scope === 'read' && !READ_METHODS.has(req.method.toUpperCase())) {
      throw new ApiError(ApiErrorCode.forbidden, 'this API key is read-only; use a write-scoped key to make changes', HttpStatus.FORBIDDEN);
    }
    req.caller = { accountId: record.accountId, keyId: record.id, scope: record.scope };
    return true;
  }
}
