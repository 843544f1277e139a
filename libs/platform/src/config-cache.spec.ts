import { Logger } from '@nestjs/common';
import type { ConfigChange } from '@hookstream/kafka';
import { ConfigCache, type ConfigFeed } from './config-cache';
import { HealthRegistry } from './health';

/** The config topic in memory: changes are pushed by the test; `catchUp()` ends the replay. */
class FakeFeed implements ConfigFeed {
  private listeners: ((c: ConfigChange) => void)[] = [];
  private resolveReady!: () => void;
  private readonly readyPromise = new Promise<void>((r) => (this.resolveReady = r));
  isReady = false;
  started = 0;
  stopped = 0;
  onChange(l: (c: ConfigChange) => void): void {
    this.listeners.push(l);
  }
  async start(): Promise<void> {
    this.started++;
  }
  ready(): Promise<void> {
    return this.readyPromise;
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
  push(c: ConfigChange): void {
    for (const l of this.listeners) l(c);
  }
  catchUp(): void {
    this.isReady = true;
    this.resolveReady();
  }
}

/** A minimal app view: keeps source ids, the way each app's cache keeps what it needs. */
class SourceIds extends ConfigCache {
  readonly ids = new Set<string>();
  constructor(feed: ConfigFeed, health: HealthRegistry) {
    super(feed, health);
  }
  protected apply(c: ConfigChange): void {
    if (c.kind !== 'source') return;
    if (c.snapshot) this.ids.add(c.id);
    else this.ids.delete(c.id);
  }
  protected describe(): string {
    return `${this.ids.size} source(s)`;
  }
}

const snapshot = { kind: 'source' } as ConfigChange['snapshot'];

describe('ConfigCache', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('holds module init until the topic at start is applied, and reports it on the config readiness check', async () => {
    const feed = new FakeFeed();
    const health = new HealthRegistry();
    const cache = new SourceIds(feed, health);
    let initDone = false;
    const init = cache.onModuleInit().then(() => (initDone = true));
    await new Promise((r) => setImmediate(r));
    expect(feed.started).toBe(1);
    expect(initDone).toBe(false);
    expect(cache.isReady).toBe(false);
    expect(await health.evaluate()).toEqual({ ok: false, checks: { config: { ok: false, detail: 'catching up: 0 source(s)' } } });

    feed.push({ kind: 'source', id: 'a', snapshot });
    feed.push({ kind: 'source', id: 'b', snapshot });
    feed.push({ kind: 'endpoint', id: 'e', snapshot: null });
    feed.catchUp();
    await init;
    expect(cache.isReady).toBe(true);
    expect([...cache.ids]).toEqual(['a', 'b']);
    expect(await health.evaluate()).toEqual({ ok: true, checks: { config: { ok: true, detail: '2 source(s)' } } });
  });

  it('keeps applying changes after it is ready; a tombstone removes; shutdown stops the feed', async () => {
    const feed = new FakeFeed();
    const cache = new SourceIds(feed, new HealthRegistry());
    feed.catchUp();
    await cache.onModuleInit();
    feed.push({ kind: 'source', id: 'a', snapshot });
    expect(cache.ids.has('a')).toBe(true);
    feed.push({ kind: 'source', id: 'a', snapshot: null });
    expect(cache.ids.has('a')).toBe(false);
    await cache.ready();
    await cache.onApplicationShutdown();
    expect(feed.stopped).toBe(1);
  });
});
