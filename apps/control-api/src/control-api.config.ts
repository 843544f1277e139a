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

  /** Feed the live stream (SSE) from a per-process tail consumer; off = no /v1/events/stream data. */
  @IsIn(['true', 'false']) FEED_STREAM_ENABLED = 'true';

  /** Open live streams (`/v1/events/stream`) one account may hold per process; beyond it: 429 too_many_streams. */
  @IsInt() @Min(1) @Max(10_000) FEED_STREAM_MAX_PER_ACCOUNT = 10;

  /** Bytes of frames one stream may hold back while its reader does not keep up; beyond it the reader is dropped. */
  @IsInt() @Min(1024) FEED_STREAM_MAX_BUFFER_BYTES = 1024 * 1024;

  /**
   * The tail asks the broker for at least 256 KiB or whatever arrived within this many ms, so it
   * sends a few fetches a second at any load instead of about one per event (it reads every feed
   * topic, listener or not). A live-feed row shows up this much later at most. 0 = one fetch per
   * arrival (every record at once).
   */
  @IsInt() @Min(0) @Max(5000) FEED_STREAM_FETCH_WAIT_MS = 250;

  /** A stream whose socket does not drain for this long is dropped. */
  @IsInt() @Min(100) FEED_STREAM_MAX_STALL_MS = 30_000;

  /** The delivery app's internal HTTP address (send sample data). */
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*[^/\s])?$/, { message: 'DELIVERY_INTERNAL_URL must be an http(s) URL without a trailing slash' })
  DELIVERY_INTERNAL_URL = 'http://127.0.0.1:3015';

  /** Bound on the sample-data proxy call (the delivery app's own attempt timeout is 15 s). */
  @IsInt() @Min(1000) DELIVERY_SAMPLE_TIMEOUT_MS = 20_000;
}
