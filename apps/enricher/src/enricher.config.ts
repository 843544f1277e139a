import { BaseAppConfig } from '@hookstream/config';
import { IsOptional, IsString, MinLength } from 'class-validator';

export class EnricherConfig extends BaseAppConfig {
  override HTTP_PORT = 3003;
  /** Path to your own GeoIP2/GeoLite2 City .mmdb; empty = the DB-IP City Lite database shipped with the package. */
  @IsOptional() @IsString() GEOIP_DB_PATH = '';
  /** Keys the hash under which names are remembered per email (emails themselves are never stored). */
  @IsString() @MinLength(16, { message: 'EMAIL_KEY_SECRET must be at least 16 characters' })
  EMAIL_KEY_SECRET = 'dev-only-email-key-secret-change-me';
}
