import { Inject, Injectable } from '@nestjs/common';
import {
  childTraceparent, Topics, type CanonicalEvent, type DuplicateEvent, type RawEventDto, type RejectedEvent,
} from '@hookstream/contracts';
import { dedupeKey, effectiveDedupeOptions, normaliseRaw, windowDedupeKey } from '@hookstream/dialects';
import { EVENT_PRODUCER, type EventProducer, type InboundMessage, type OutboundMessage } from '@hookstream/kafka';
import { APP_CONFIG } from '@hookstream/platform';
import type { ValidatorConfig } from '../validator.config';
import { DedupeRepository, type DedupeClaim } from './dedupe.repository';

export interface BatchOutcome {
  valid: number;
  rejected: number;
  duplicates: number;
}

/** The Kafka key of valid/enriched events: per account and person, so one person's events stay ordered. */
export function personKey(e: CanonicalEvent): string {
  return `${e.accountId}:${e.person.email ?? e.id}`;
}

@Injectable()
export class ValidationService {
  constructor(
    private readonly dedupe: DedupeRepository,
    @Inject(EVENT_PRODUCER) private readonly producer: EventProducer,
    @Inject(APP_CONFIG) private readonly config: ValidatorConfig,
  ) {}

  async process(messages: InboundMessage<RawEventDto>[]): Promise<BatchOutcome> {
    const valid: OutboundMessage[] = [];
    const rejected: OutboundMessage[] = [];
    const duplicates: OutboundMessage[] = [];
    const candidates: { msg: InboundMessage<RawEventDto>; event: CanonicalEvent; keys: string[] }[] = [];

    for (const msg of messages) {
      const raw = msg.value;
      const tp = childTraceparent(msg.envelope?.traceparent);
      const r = normaliseRaw(raw);
      if (!r.ok) {
        const value: RejectedEvent = { raw, reasons: r.reasons, dialect: r.dialect ?? null, rejectedAt: new Date().toISOString() };
        rejected.push({ key: raw.sourceId, value, envelope: { id: raw.id, type: 'hookstream.event.rejected', source: `/sources/${raw.sourceId}`, time: value.rejectedAt, traceparent: tp } });
        continue;
      }
      const keys = [dedupeKey(raw, r.event)];
      const windowOpts = effectiveDedupeOptions(raw.dedupe ?? null, r.event.dialect);
      const win = windowOpts ? windowDedupeKey(r.event, windowOpts, raw.sourceId) : null;
      if (win) keys.push(win);
      candidates.push({ msg, event: { ...r.event, dedupeKey: keys[0] }, keys });
    }

    // Within one batch the first event to use a key owns it; the database decides across batches.
    // Later users of a key in the same batch are duplicates too and must be counted as such; the
    // same event twice (a redelivered message) is not.
    const firstInBatch = new Map<string, string>();
    const claimOf = new Map<string, DedupeClaim>();
    const repeaters = new Map<string, Set<string>>();
    const claims: DedupeClaim[] = [];
    for (const c of candidates) {
      for (const key of c.keys) {
        const k = `${c.event.sourceId}\u0000${key}`;
        const first = firstInBatch.get(k);
        if (first === undefined) {
          firstInBatch.set(k, c.event.id);
          const claim: DedupeClaim = { sourceId: c.event.sourceId, key, eventId: c.event.id, repeats: 0 };
          claimOf.set(k, claim);
          claims.push(claim);
        } else if (first !== c.event.id) {
          const seen = repeaters.get(k) ?? new Set<string>();
          repeaters.set(k, seen);
          if (!seen.has(c.event.id)) {
            seen.add(c.event.id);
            const claim = claimOf.get(k);
            if (claim) claim.repeats = (claim.repeats ?? 0) + 1;
          }
        }
      }
    }
    const owners = await this.dedupe.claim(claims, this.config.DEDUPE_RETENTION_DAYS);

    for (const c of candidates) {
      const tp = childTraceparent(c.msg.envelope?.traceparent);
      let original: { key: string; owner: string } | undefined;
      for (const key of c.keys) {
        const k = `${c.event.sourceId}\u0000${key}`;
        const owner = owners.get(k) ?? firstInBatch.get(k);
        if (owner && owner !== c.event.id) {
          original = { key, owner };
          break;
        }
      }
      if (original) {
        const value: DuplicateEvent = { raw: c.msg.value, dedupeKey: original.key, originalEventId: original.owner, seenAt: new Date().toISOString() };
        duplicates.push({ key: c.event.sourceId, value, envelope: { id: c.event.id, type: 'hookstream.event.duplicate', source: `/sources/${c.event.sourceId}`, time: value.seenAt, traceparent: tp } });
      } else {
        valid.push({ key: personKey(c.event), value: c.event, envelope: { id: c.event.id, type: `hookstream.event.${c.event.type}`, source: `/sources/${c.event.sourceId}`, time: c.event.occurredAt, subject: c.event.accountId, traceparent: tp } });
      }
    }

    await Promise.all([
      this.producer.send(Topics.eventsValid, valid),
      this.producer.send(Topics.eventsRejected, rejected),
      this.producer.send(Topics.eventsDuplicate, duplicates),
    ]);
    return { valid: valid.length, rejected: rejected.length, duplicates: duplicates.length };
  }
}
