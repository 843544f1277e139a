import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@hookstream/platform';
import { AllowList, checkAddress, checkUrl, literalAddress, type UrlPolicy } from '@hookstream/webhooks';
import type { ControlApiConfig } from '../control-api.config';
import { ApiError, ApiErrorCode } from './api-error';

/**
 * Refuses endpoint URLs at save time, with reasons a user can act on. The delivery app
 * checks again on every connection (DNS may change); this catches the obvious cases early.
 */
@Injectable()
export class UrlPolicyService {
  readonly policy: UrlPolicy;
  private readonly allowList: AllowList;

  constructor(@Inject(APP_CONFIG) config: ControlApiConfig) {
    this.policy = {
      allowHttp: config.ENDPOINT_ALLOW_HTTP === 'true',
      allowedPorts: config.ENDPOINT_ALLOWED_PORTS === 'any' ? 'any' : config.ENDPOINT_ALLOWED_PORTS.split(',').map(Number),
    };
    this.allowList = AllowList.parse(config.ENDPOINT_ALLOWED_CIDRS);
  }

  /**
   * Returns the URL as it will be stored; throws 400 invalid_url with every reason.
   * `override` is for the local demo seed only (an http inbox on loopback).
   */
  assertAllowed(raw: string, override?: { policy: UrlPolicy; anyAddress: boolean }): string {
    const checked = checkUrl(raw, override?.policy ?? this.policy);
    if (!checked.ok) {
      throw new ApiError(
        ApiErrorCode.invalidUrl,
        `endpoint URL refused: ${checked.reasons.map((r) => r.message).join('; ')}`,
        HttpStatus.BAD_REQUEST,
        checked.reasons.map((r) => ({ field: 'url', code: r.code, message: r.message })),
      );
    }
    const ip = literalAddress(checked.url);
    if (ip !== undefined && !override?.anyAddress) {
      const verdict = checkAddress(ip, this.allowList);
      if (!verdict.ok) {
        const message = `${ip} is a ${verdict.range} address; deliveries only go to public addresses (or ranges in ENDPOINT_ALLOWED_CIDRS)`;
        throw new ApiError(ApiErrorCode.invalidUrl, `endpoint URL refused: ${message}`, HttpStatus.BAD_REQUEST, [{ field: 'url', code: 'address_not_allowed', message }]);
      }
    }
    return raw;
  }
}
