import { BaseAppConfig, NotDevDefault } from '@hookstream/config';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';

/** Public development default of EMAIL_KEY_SECRET. */
export const DEV_EMAIL_KEY_SECRET = 'dev-only-email-key-secret-change-me';

export class EnricherConfig extends BaseAppConfig {
  override HTTP_PORT = 3003;
  /**
   * Byte budget of the in-memory cache of normalised country/state names (payload text is
   * unbounded in variety and length; least recently used entries go first).
   */
  @IsInt() @Min(64 * 1024) @Max(1024 * 1024 * 1024) ENRICHER_NAME_CACHE_BYTES = 4 * 1024 * 1024;

  /**
   * Batches of several partitions handled at the same time share one name_history read and one
   * write statement ('true'). Off by default: it cuts CPU per event at low load, but
   * the latency A/B on a shared machine was not better (bench/README.md).
   */
  @IsIn(['true', 'false']) ENRICHER_COALESCE_STATEMENTS: 'true' | 'false' = 'false';

  /** Path to your own GeoIP2/GeoLite2 City .mmdb; empty = the DB-IP City Lite database shipped with the package. */
  @IsOptional() @IsString() GEOIP_DB_PATH = '';
  /**
   * Keys the hash under which names are remembered per email (emails themselves are never stored).
   * The default is public: refused unless HOOKSTREAM_DEV_INSECURE_KEYS=true.
   */
  @IsString() @MinLength(16, { message: 'EMAIL_KEY_SECRET must be at least 16 characters' })
  @NotDevDefault(DEV_EMAIL_KEY_SECRET, 'openssl rand -base64 32')
  EMAIL_KEY_SECRET = DEV_EMAIL_KEY_SECRET;
}
