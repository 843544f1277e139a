import { Inject, Injectable, Logger } from '@nestjs/common';
import { errorMessage, childTraceparent, Topics, type CanonicalEvent, type DuplicateEvent, type RawEventDto, type RejectedEvent, } from '@hookstream/contracts';
import { dedupeKey, effectiveDedupeOptions, normaliseRaw, windowDedupeKey } from '@hookstream/dialects';
import { EVENT_PRODUCER, type EventProducer, type InboundMessage, type OutboundMessage } from '@hookstream/kafka';
import { APP_CONFIG } from '@hookstream/platform';
import type { ValidatorConfig } from '../validator.config';
import { DedupeRepository, type DedupeClaim } from './dedupe.repository';
import { VerdictTally } from './validation.metrics';

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
  private readonly log = new Logger(ValidationService.name);

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
    const tally = new VerdictTally();

    for (const msg of messages) {
      const raw = msg.value;
      const r = normaliseRaw(raw);
      if (!r.ok) {
        // A valid event gets its span below, once its verdict (valid or duplicate) is known.
        const tp = childTraceparent(msg.envelope?.traceparent);
        const value: RejectedEvent = { raw, reasons: r.reasons, dialect: r.dialect ?? null, rejectedAt: new Date().toISOString() };
        tally.rejected(r.reasons[0]?.rule);
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
    const { owners, claimed } = await this.dedupe.claim(claims, this.config.DEDUPE_RETENTION_DAYS);
    // Keys this batch took for events it is about to publish: given back if that publish fails.
    const taken: { sourceId: string; key: string; eventId: string }[] = [];

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
        tally.duplicate(original.key);
        duplicates.push({ key: c.event.sourceId, value, envelope: { id: c.event.id, type: 'hookstream.event.duplicate', source: `/sources/${c.event.sourceId}`, time: value.seenAt, traceparent: tp } });
      } else {
        tally.valid();
        for (const key of c.keys) {
          if (claimed.has(`${c.event.sourceId}\u0000${key}`)) taken.push({ sourceId: c.event.sourceId, key, eventId: c.event.id });
        }
        valid.push({ key: personKey(c.event), value: c.event, envelope: { id: c.event.id, type: `hookstream.event.${c.event.type}`, source: `/sources/${c.event.sourceId}`, time: c.event.occurredAt, subject: c.event.accountId, traceparent: tp } });
      }
    }

    const [sentValid, ...others] = await Promise.allSettled([
      this.producer.send(Topics.eventsValid, valid),
      this.producer.send(Topics.eventsRejected, rejected),
      this.producer.send(Topics.eventsDuplicate, duplicates),
    ]);
    if (sentValid.status === 'rejected') {
      // The claim must not outlive a failed publish: the batch is retried (same ids, claimed again)
      // or dead-lettered, and then a replay or the sender's retry must be accepted, not dropped as
      // a duplicate of an event that never went out.
      await this.releaseAfterFailedPublish(taken);
      throw sentValid.reason;
    }
    for (const o of others) if (o.status === 'rejected') throw o.reason;
    tally.flush();
    return { valid: valid.length, rejected: rejected.length, duplicates: duplicates.length };
  }

  private async releaseAfterFailedPublish(taken: { sourceId: string; key: string; eventId: string }[]): Promise<void> {
    try {
      await this.dedupe.release(taken);
    } catch (err) {
      // The publish error is what the transport acts on (retry, then DLQ); a retry with the same
      // event id still passes (it owns the key), only a new id would be taken for a duplicate.
      this.log.error(`could not release ${taken.length} dedupe key(s) after a failed publish: ${errorMessage(err)}`);
    }
  }
}
