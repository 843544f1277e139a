import { readFileSync } from 'node:fs';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, registerDecorator, type ValidationArguments } from 'class-validator';
import { DEV_SECRETS_KEY, NotDevDefault } from './dev-keys';
import { IsProxyList } from './trust-proxy';
import { KafkaClientConfig } from './kafka.config';

/** Settings every Hookstream app shares (the Kafka connection ones in KafkaClientConfig). Each app's config class extends this. */
export class BaseAppConfig extends KafkaClientConfig {
  @IsString() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' }) @DatabaseTlsFilesReadable()
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

  /**
   * Connections each replica keeps to PostgreSQL at most. Size the server's max_connections for
   * every app's replicas × this (plus migrations and operators).
   */
  @IsInt() @Min(1) @Max(1000) DB_POOL_SIZE = 10;

  /**
   * Seconds an unused connection stays open; 0 keeps every connection the pool opened. Opening one
   * costs a backend start and its first queries' catalog reads, so a pool that closed its
   * connections during a quiet spell pays that on the next rise in load, just when it has no time
   * to spare (see bench/README.md, session 29).
   */
  @IsInt() @Min(0) @Max(86_400) DB_POOL_IDLE_SECONDS = 600;

  /**
   * The pipeline's hot statements go to PostgreSQL as named statements, parsed and planned once per
   * connection instead of on every call. `false` behind PgBouncer in transaction mode older than
   * 1.21 (or with `max_prepared_statements = 0`), which cannot route a named statement to the server
   * connection that prepared it.
   */
  @IsIn(['true', 'false']) DB_PREPARED_STATEMENTS = 'true';

  /** Hard bound on graceful shutdown; the orchestrator's grace period should exceed it. */
  @IsInt() @Min(100) @Max(120000) SHUTDOWN_TIMEOUT_MS = 8000;

  @IsOptional() @IsString() KAFKA_GROUP_SUFFIX = '';

  /**
   * Consumer group session: after a crash (SIGKILL, OOM) the group waits this long for the dead
   * member before its partitions move — the restart-to-consuming time. kafkajs 2.2.4 has no static
   * membership (group.instance.id), so this is the lever. The broker refuses < 6000
   * (group.min.session.timeout.ms); heartbeats go every KAFKA_HEARTBEAT_INTERVAL_MS, also while a
   * handler runs.
   */
  @IsInt() @Min(6000) @Max(300000) KAFKA_SESSION_TIMEOUT_MS = 10000;

  @IsInt() @Min(100) @Max(60000) KAFKA_HEARTBEAT_INTERVAL_MS = 1000;
}

/**
 * TLS to PostgreSQL is set in DATABASE_URL the libpq way (`?sslmode=verify-full&sslrootcert=/ca.pem`,
 * `sslcert` / `sslkey` for a client certificate); the files it names must be readable at boot.
 */
function DatabaseTlsFilesReadable() {
  const problem = (url: unknown): string | null => {
    if (typeof url !== 'string' || !URL.canParse(url)) return null;
    const params = new URL(url).searchParams;
    for (const name of ['sslrootcert', 'sslcert', 'sslkey']) {
      const file = params.get(name);
      if (!file || (name === 'sslrootcert' && file === 'system')) continue;
      try {
        readFileSync(file);
      } catch (err) {
        return `DATABASE_URL names ${name}=${file}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
      }
    }
    return null;
  };
  return (target: object, property: string) =>
    registerDecorator({
      name: 'databaseTlsFilesReadable', target: target.constructor, propertyName: property,
      validator: { validate: (v: unknown) => problem(v) === null, defaultMessage: (a: ValidationArguments) => problem(a.value) ?? 'invalid' },
    });
}
