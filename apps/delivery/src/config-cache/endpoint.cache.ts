import { Inject, Injectable } from '@nestjs/common';
import { errorMessage, type EndpointSnapshot } from '@hookstream/contracts';
import { ConfigStream, type ConfigChange } from '@hookstream/kafka';
import { APP_CONFIG, ConfigCache, HealthRegistry, KAFKA_CLIENT } from '@hookstream/platform';
import { SecretBox } from '@hookstream/webhooks';
import type { Kafka } from 'kafkajs';
import type { EndpointLimits } from '../dispatch/dispatcher';
import type { DeliveryConfig } from '../delivery.config';

export interface EndpointRuntime {
  snapshot: EndpointSnapshot;
  /** Opened signing secrets with their expiry (epoch ms, null = none). */
  secrets: { secret: string; expiresAt: number | null }[];
  /** Why the secrets could not be opened (wrong SECRETS_KEY, corrupted value); never the secret. */
  secretError: string | null;
  /** A 410 disabled it here before the config snapshot (published by apps/projector) says so; cleared by any newer version. */
  disabledLocallyAtVersion: number | null;
}

/**
 * What an endpoint's open deliveries must undergo after a config change: `deleted` → cancel them,
 * `disabled` → hold them, `enabled` → resume the held ones. Told on the first sight of an
 * endpoint too (the process may have been down when it changed); every action is idempotent.
 */
export type EndpointLifecycle = 'deleted' | 'disabled' | 'enabled';

/** Used for an endpoint the cache does not know (yet): one request at a time. */
const UNKNOWN_LIMITS: EndpointLimits = { maxConcurrency: 1, rateLimitPerSecond: null };

/**
 * Delivery's config cache: endpoints, so no attempt costs a database read. Signing secrets arrive
 * sealed with SECRETS_KEY (no associated-data context, as control-api seals them) and are opened
 * once per snapshot.
 */
@Injectable()
export class EndpointCache extends ConfigCache {
  private readonly endpoints = new Map<string, EndpointRuntime>();
  /** Endpoints whose tombstone this process has seen (and not seen again since). */
  private readonly deleted = new Set<string>();
  private readonly lifecycleListeners: ((id: string, change: EndpointLifecycle) => void)[] = [];
  private readonly box: SecretBox;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    @Inject(APP_CONFIG) config: DeliveryConfig,
    health: HealthRegistry,
  ) {
    super(new ConfigStream(kafka, 'delivery'), health);
    this.box = SecretBox.fromBase64Key(config.SECRETS_KEY);
  }

  protected describe(): string {
    return `${this.endpoints.size} endpoint(s)`;
  }

  /** Registered before the stream starts (a provider's constructor): the replay at boot is told too. */
  onLifecycle(listener: (id: string, change: EndpointLifecycle) => void): void {
    this.lifecycleListeners.push(listener);
  }

  private tell(id: string, change: EndpointLifecycle): void {
    for (const l of this.lifecycleListeners) l(id, change);
  }

  protected apply(c: ConfigChange): void {
    if (c.kind !== 'endpoint') return;
    const snap = c.snapshot;
    if (!snap || snap.kind !== 'endpoint') {
      // A tombstone is a deletion, not "not known yet": remembered, and its backlog cancelled.
      this.endpoints.delete(c.id);
      this.deleted.add(c.id);
      this.tell(c.id, 'deleted');
      return;
    }
    const previous = this.endpoints.get(c.id);
    // The compacted topic may replay an older version after a newer one was seen locally.
    if (previous && previous.snapshot.version > snap.version) return;
    this.deleted.delete(c.id);
    const wasEnabled = previous === undefined ? undefined : this.isEnabled(previous);
    const runtime: EndpointRuntime = { snapshot: snap, secrets: [], secretError: null, disabledLocallyAtVersion: null };
    if (previous?.disabledLocallyAtVersion !== null && previous?.disabledLocallyAtVersion !== undefined && snap.version <= previous.disabledLocallyAtVersion) {
      runtime.disabledLocallyAtVersion = previous.disabledLocallyAtVersion;
    }
    try {
      runtime.secrets = snap.secrets.map((s) => ({
        secret: this.box.open(s.secretEnc),
        expiresAt: s.expiresAt === null ? null : Date.parse(s.expiresAt),
      }));
    } catch (err) {
      runtime.secretError = `signing secret cannot be opened: ${errorMessage(err)}`;
      this.log.error(`endpoint ${c.id}: ${runtime.secretError}`);
    }
    this.endpoints.set(c.id, runtime);
    const enabled = this.isEnabled(runtime);
    if (enabled !== wasEnabled) this.tell(c.id, enabled ? 'enabled' : 'disabled');
  }

  /** The config topic said this endpoint was deleted. */
  isDeleted(id: string): boolean {
    return this.deleted.has(id);
  }

  get(id: string): EndpointRuntime | undefined {
    return this.endpoints.get(id);
  }

  isEnabled(e: EndpointRuntime): boolean {
    return e.snapshot.enabled && e.disabledLocallyAtVersion === null;
  }

  /** Secrets not yet expired; an unreadable expiry counts as expired. */
  liveSecrets(e: EndpointRuntime, now: Date): string[] {
    const t = now.getTime();
    return e.secrets.filter((s) => s.expiresAt === null || (!Number.isNaN(s.expiresAt) && s.expiresAt > t)).map((s) => s.secret);
  }

  limits(id: string): EndpointLimits {
    const e = this.endpoints.get(id);
    if (!e) return UNKNOWN_LIMITS;
    return { maxConcurrency: Math.max(1, e.snapshot.maxConcurrency), rateLimitPerSecond: e.snapshot.rateLimitPerSecond };
  }

  /** Stops sending to an endpoint that answered 410 until a newer version is published (apps/projector's disable, or a user's change). */
  markDisabled(id: string): void {
    const e = this.endpoints.get(id);
    if (!e) return;
    const wasEnabled = this.isEnabled(e);
    e.disabledLocallyAtVersion = e.snapshot.version;
    if (wasEnabled) this.tell(id, 'disabled');
  }

  /** Endpoints this process will not send to: disabled in the config, or locally after a 410. */
  disabledCount(): number {
    let n = 0;
    for (const e of this.endpoints.values()) if (!this.isEnabled(e)) n++;
    return n;
  }

  get size(): number {
    return this.endpoints.size;
  }
}
