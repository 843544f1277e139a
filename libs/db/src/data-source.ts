import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import {
  AccountEntity, ApiKeyEntity, AutomationEntity, EndpointEntity, EndpointSecretEntity, SourceEntity, SourceTokenEntity,
} from './entities/control.entities';
import { Initial1764000000000 } from './migrations/1764000000000-initial';
import { ContactsNames1764100000000 } from './migrations/1764100000000-contacts-names';
import { DeliveriesDue1764200000000 } from './migrations/1764200000000-deliveries-due';
import { FeedEvents1764300000000 } from './migrations/1764300000000-feed-events';
import { ContactsVersion1764400000000 } from './migrations/1764400000000-contacts-version';
import { DeliveriesBacklog1764540000000 } from './migrations/1764540000000-deliveries-backlog';
import { DlqMessages1764570000000 } from './migrations/1764570000000-dlq-messages';
import { DeliveriesFillfactor1764600000000 } from './migrations/1764600000000-deliveries-fillfactor';
import { DeliveriesDropDueIdx1764700000000 } from './migrations/1764700000000-deliveries-drop-due-idx';
import { Lz4Compression1764800000000 } from './migrations/1764800000000-lz4-compression';
import { DeliveriesFillfactorReset1764900000000 } from './migrations/1764900000000-deliveries-fillfactor-reset';
import { DedupeKeyBytes1765000000000 } from './migrations/1765000000000-dedupe-key-bytes';
import { errorMessage } from '@hookstream/contracts';
import { PreparingClient } from './prepared';

/** TypeORM entities: control-api's configuration tables only. Every other table is reached with SQL by its owner (README.md). */
export const ENTITIES = [AccountEntity, ApiKeyEntity, SourceEntity, SourceTokenEntity, EndpointEntity, EndpointSecretEntity, AutomationEntity];
export const MIGRATIONS = [Initial1764000000000, ContactsNames1764100000000, DeliveriesDue1764200000000, FeedEvents1764300000000, ContactsVersion1764400000000, DeliveriesBacklog1764540000000, DlqMessages1764570000000, DeliveriesFillfactor1764600000000, DeliveriesDropDueIdx1764700000000, Lz4Compression1764800000000, DeliveriesFillfactorReset1764900000000, DedupeKeyBytes1765000000000];

export interface DbOptions {
  url: string;
  poolSize?: number;
  /** Seconds before an unused connection closes; 0: never (pg-pool's default is 10). */
  idleSeconds?: number;
  applicationName?: string;
  /** Registered hot statements sent as named statements, parsed once per connection (see `prepared.ts`). */
  preparedStatements?: boolean;
}

export function createDataSource(opts: DbOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'hookstream_migrations',
    applicationName: opts.applicationName,
    extra: {
      max: opts.poolSize ?? 10,
      idleTimeoutMillis: (opts.idleSeconds ?? 10) * 1000,
      connectionTimeoutMillis: 5000,
      // A connection may sit unused for minutes: TCP keepalive after 30 s idle keeps NAT and
      // firewall mappings open (some drop idle flows after ~5 min) and lets the kernel find a dead
      // peer, instead of the next query hanging on a connection that silently went away.
      keepAlive: true,
      keepAliveInitialDelayMillis: 30_000,
      ...(opts.preparedStatements ? { Client: PreparingClient } : {}),
    },
    logging: ['error'],
  });
}

/** Arbitrary but fixed: every Hookstream replica contends for the same advisory lock. */
const MIGRATION_LOCK_KEY = 7_318_455_021;

/**
 * Runs pending migrations while holding a session-level advisory lock, so any number of replicas
 * can start at once: the first migrates, the others wait, then find nothing to do.
 */
export async function migrateWithLock(ds: DataSource, log: (msg: string) => void = () => undefined): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const ran = await ds.runMigrations({ transaction: 'each' });
      if (ran.length > 0) log(`applied migrations: ${ran.map((m) => m.name).join(', ')}`);
      return ran.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

/** The node-postgres pool behind an initialized data source (TypeORM's postgres driver keeps it as `master`). */
export function pgPoolOf(ds: DataSource): Pool {
  const pool = (ds.driver as unknown as { master?: Pool }).master;
  if (!pool) throw new Error('the data source has no PostgreSQL pool: initialize it first');
  return pool;
}

export async function dbHealth(ds: DataSource, timeoutMs = 2000): Promise<{ ok: boolean; detail: string }> {
  if (!ds.isInitialized) return { ok: false, detail: 'not connected' };
  try {
    const t = new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref());
    await Promise.race([ds.query('SELECT 1'), t]);
    return { ok: true, detail: 'SELECT 1 ok' };
  } catch (err) {
    return { ok: false, detail: errorMessage(err) };
  }
}
