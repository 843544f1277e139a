import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { DEV_SECRETS_KEY, NotDevDefault } from './dev-keys';
import { IsProxyList } from './trust-proxy';

/** Settings every Hookstream app shares. Each app's config class extends this. */
export class BaseAppConfig {
  @IsString() @IsNotEmpty()
  @Matches(/^[^,\s]+(,[^,\s]+)*$/, { message: 'KAFKA_BROKERS must be a comma-separated host:port list, e.g. 127.0.0.1:9092' })
  KAFKA_BROKERS = '127.0.0.1:9092';

  @IsString() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://hookstream:hookstream@127.0.0.1:5432/hookstream';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsString() HTTP_HOST = '0.0.0.0';

  @IsInt() @Min(1) @Max(65535) HTTP_PORT = 3000;

  /**
   * Proxies whose X-Forwarded-For is believed (client IP for geo-IP and logs): comma-separated
   * addresses/CIDRs or loopback/linklocal/uniquelocal. Empty: none; the peer address is the client.
   */
  @IsProxyList() TRUST_PROXY = '';

  /**
   * base64 of 32 bytes; encrypts signing secrets at rest and on the config topic. The default is
   * public: refused unless HOOKSTREAM_DEV_INSECURE_KEYS=true.
   */
  @IsString() @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'SECRETS_KEY must be base64 of 32 bytes (generate one: openssl rand -base64 32)' })
  @NotDevDefault(DEV_SECRETS_KEY, 'openssl rand -base64 32')
  SECRETS_KEY = DEV_SECRETS_KEY;

  /** `true` lets the public development defaults of the keys through (local development only). */
  @IsIn(['true', 'false']) HOOKSTREAM_DEV_INSECURE_KEYS = 'false';

  @IsInt() @Min(1) @Max(1000) KAFKA_TOPIC_PARTITIONS = 6;

  @IsIn(['true', 'false']) KAFKA_CREATE_TOPICS = 'true';

  @IsIn(['true', 'false']) DB_MIGRATE = 'true';

  /** Hard bound on graceful shutdown; the orchestrator's grace period should exceed it. */
  @IsInt() @Min(100) @Max(120000) SHUTDOWN_TIMEOUT_MS = 8000;

  @IsOptional() @IsString() KAFKA_GROUP_SUFFIX = '';
}
