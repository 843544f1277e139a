import { CanActivate, ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@hookstream/platform';
import type { FastifyRequest } from 'fastify';
import type { DeliveryConfig } from '../delivery.config';
import { INTERNAL_TOKEN_HEADER, isInternalToken } from '@hookstream/webhooks';

/** Internal routes answer only callers holding the deployment's SECRETS_KEY (control-api). */
@Injectable()
export class InternalTokenGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: DeliveryConfig) {}

  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const value = req.headers[INTERNAL_TOKEN_HEADER];
    if (isInternalToken(typeof value === 'string' ? value : undefined, this.config.SECRETS_KEY)) return true;
    throw new HttpException({ error: { code: 'unauthorized', message: `missing or wrong ${INTERNAL_TOKEN_HEADER} header` } }, HttpStatus.UNAUTHORIZED);
  }
}
