import { BaseAppConfig } from '@hookstream/config';
import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';

export class ControlApiConfig extends BaseAppConfig {
  override HTTP_PORT = 3001;

  /** Base of the ingest URLs handed to users (the gateway's public address), without a trailing slash. */
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*[^/\s])?$/, { message: 'PUBLIC_BASE_URL must be an http(s) URL without a trailing slash' })
  PUBLIC_BASE_URL = 'http://127.0.0.1:3000';

  /** Plain-http endpoint URLs are for local development only. */
  @IsIn(['true', 'false']) ENDPOINT_ALLOW_HTTP = 'false';

  /** Comma-separated ports endpoint URLs may use, or `any`. ActiveCampaign's rule is 443 only. */
  @Matches(/^(any|\d{1,5}(,\d{1,5})*)$/, { message: 'ENDPOINT_ALLOWED_PORTS must be a comma-separated list of ports, or "any"' })
  ENDPOINT_ALLOWED_PORTS = '443';

  /** CIDRs whose literal IP addresses endpoint URLs may name (internal receivers); empty = public addresses only. */
  @IsString() ENDPOINT_ALLOWED_CIDRS = '';

  /** How long the previous signing secret keeps being used (both signatures sent) after a rotation. */
  @IsInt() @Min(0) @Max(30 * 24) ENDPOINT_SECRET_ROTATION_GRACE_HOURS = 24;

  /** Upper bound of `gracePeriodSeconds` when rotating a source token. */
  @IsInt() @Min(0) @Max(90 * 24 * 3600) SOURCE_TOKEN_MAX_GRACE_SECONDS = 7 * 24 * 3600;
}
