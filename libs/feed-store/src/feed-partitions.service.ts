import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from '@hookstream/db';
import { FEED_PROJECTION_SETTINGS, type FeedProjectionSettings } from './feed-projection.settings';

const DAY_MS = 24 * 3600 * 1000;
/** Every replica serialises partition DDL on this key (CREATE … IF NOT EXISTS still races in the catalog). */
const PARTITION_LOCK_KEY = 7_318_455_022;
const PARTITION_NAME = /^feed_events_p(\d{4})(\d{2})(\d{2})$/;

/** `2026-03-01` (UTC day) of a time. */
export function utcDay(t: Date | string): string {
  return new Date(t).toISOString().slice(0, 10);
}

export function partitionName(day: string): string {
  return `feed_events_p${day.replace(/-/g, '')}`;
}

/** The UTC day a partition holds, or undefined for a table that is not one of ours. */
export function partitionDay(name: string): string | undefined {
  const m = PARTITION_NAME.exec(name);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Daily partitions of `feed_events`: creates today's and the next FEED_PARTITIONS_AHEAD_DAYS,
 * drops days entirely older than FEED_RETENTION_DAYS (a DROP is instant and leaves no bloat,
 * unlike DELETE). Runs at boot and every FEED_MAINTENANCE_INTERVAL_MS in every replica; the DDL
 * is serialised by an advisory lock, so replicas doing it together is harmless.
 */
@Injectable()
export class FeedPartitionsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('FeedPartitions');
  private readonly known = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(FEED_PROJECTION_SETTINGS) private readonly config: FeedProjectionSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.maintain();
    this.timer = setInterval(() => {
      this.maintain().catch((err: unknown) => this.log.error({ err, msg: 'feed partition maintenance failed; retried at the next interval' }));
    }, this.config.FEED_MAINTENANCE_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Times before this are past retention: the writer skips them, maintenance drops their days. */
  retentionCutoff(now = new Date()): Date {
    return new Date(now.getTime() - this.config.FEED_RETENTION_DAYS * DAY_MS);
  }

  async maintain(now = new Date()): Promise<{ created: string[]; dropped: string[] }> {
    const today = utcDay(now);
    const days: string[] = [];
    for (let i = 0; i <= this.config.FEED_PARTITIONS_AHEAD_DAYS; i++) days.push(addDays(today, i));
    const created = await this.ensureDays(days);
    const dropped = await this.dropExpired(now);
    if (created.length || dropped.length) this.log.log(`feed partitions: created ${created.join(', ') || 'none'}; dropped ${dropped.join(', ') || 'none'}`);
    return { created, dropped };
  }

  /** Makes sure a partition exists for each UTC day; returns the names it created. */
  async ensureDays(days: string[]): Promise<string[]> {
    for (const d of days) if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) throw new Error(`not a UTC day: ${d}`);
    const missing = [...new Set(days)].filter((d) => !this.known.has(d));
    if (missing.length === 0) return [];
    const created: string[] = [];
    await this.ds.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
      const existing = new Set(await this.partitionNames(em.query.bind(em)));
      for (const day of missing) {
        const name = partitionName(day);
        if (!existing.has(name)) {
          // Names and bounds come from validated dates only (YYYY-MM-DD), never from input text.
          await em.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF feed_events FOR VALUES FROM ('${day} 00:00:00+00') TO ('${addDays(day, 1)} 00:00:00+00')`);
          created.push(name);
        }
      }
    });
    for (const d of missing) this.known.add(d);
    return created;
  }

  /** Drops every partition whose whole day lies before the retention cutoff. */
  async dropExpired(now = new Date()): Promise<string[]> {
    const cutoff = this.retentionCutoff(now).getTime();
    const dropped: string[] = [];
    await this.ds.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
      // DROP takes an exclusive lock on the parent: don't queue behind a long reader forever.
      await em.query(`SET LOCAL lock_timeout = '10s'`);
      for (const name of await this.partitionNames(em.query.bind(em))) {
        const day = partitionDay(name);
        if (day === undefined || Date.parse(`${addDays(day, 1)}T00:00:00Z`) > cutoff) continue;
        await em.query(`DROP TABLE IF EXISTS ${name}`);
        this.known.delete(day);
        dropped.push(name);
      }
    });
    return dropped;
  }

  async listPartitions(): Promise<string[]> {
    return this.partitionNames(this.ds.query.bind(this.ds));
  }

  private async partitionNames(query: (sql: string) => Promise<{ relname: string }[]>): Promise<string[]> {
    const rows = await query(
      `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = 'feed_events' AND p.relnamespace = current_schema()::regnamespace ORDER BY c.relname`,
    );
    return rows.map((r) => r.relname).filter((n) => PARTITION_NAME.test(n));
  }
}
