import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { errorMessage, childTraceparent, Topics, type CanonicalEvent } from '@hookstream/contracts';
import { configureNameCache, emailKey, enrichEvent, GeoIpLookup, type LearnedName } from '@hookstream/enrichment';
import { EVENT_PRODUCER, type EventProducer, type InboundMessage, type OutboundMessage } from '@hookstream/kafka';
import { APP_CONFIG } from '@hookstream/platform';
import type { EnricherConfig } from '../enricher.config';
import { LookupTally } from './enrichment.metrics';
import { NamesRepository } from './names.repository';

@Injectable()
export class EnrichmentService implements OnModuleInit {
  private readonly log = new Logger(EnrichmentService.name);
  private geo: GeoIpLookup | null = null;

  constructor(
    private readonly names: NamesRepository,
    @Inject(EVENT_PRODUCER) private readonly producer: EventProducer,
    @Inject(APP_CONFIG) private readonly config: EnricherConfig,
  ) {}

  /** The geo database is loaded once per process; without one, geo enrichment is skipped with a warning. */
  async onModuleInit(): Promise<void> {
    configureNameCache({ maxBytes: this.config.ENRICHER_NAME_CACHE_BYTES });
    try {
      this.geo = await GeoIpLookup.open(this.config.GEOIP_DB_PATH ? { path: this.config.GEOIP_DB_PATH } : {});
      this.log.log('geo-IP database loaded');
    } catch (err) {
      this.log.error(`geo-IP database could not be opened, locations from IPs are disabled: ${errorMessage(err)}`);
    }
  }

  async process(messages: InboundMessage<CanonicalEvent>[]): Promise<number> {
    const secret = this.config.EMAIL_KEY_SECRET;
    // Keyed by the address as given: enrichEvent asks for the key of that same string.
    const keys = new Map<string, string>();
    const wanted = new Map<string, { accountId: string; emailKey: string }>();
    for (const m of messages) {
      const email = m.value.person?.email;
      if (email) {
        let key = keys.get(email);
        if (key === undefined) {
          key = emailKey(email, secret);
          keys.set(email, key);
        }
        wanted.set(`${m.value.accountId}\u0000${key}`, { accountId: m.value.accountId, emailKey: key });
      }
    }
    const history = await this.names.load([...wanted.values()]);
    const learned: { accountId: string; name: LearnedName }[] = [];
    const out: OutboundMessage[] = [];
    const emailKeyOf = (email: string): string => keys.get(email) ?? emailKey(email, secret);
    const tally = new LookupTally();
    for (const m of messages) {
      const accountId = m.value.accountId;
      const r = enrichEvent(m.value, {
        geo: this.geo,
        nameHistory: (k) => history.get(`${accountId}\u0000${k}`),
        emailKeySecret: secret,
        emailKeyOf,
      });
      if (r.learnedName) {
        learned.push({ accountId, name: r.learnedName });
        // Later events of the same batch learn from earlier ones too.
        history.set(`${accountId}\u0000${r.learnedName.emailKey}`, { firstName: r.learnedName.firstName, lastName: r.learnedName.lastName });
      }
      const e = r.event;
      tally.add(e.enrichment);
      out.push({ key: m.key, value: e, envelope: { id: e.id, type: `hookstream.event.${e.type}`, source: `/sources/${e.sourceId}`, time: e.occurredAt, subject: e.accountId, traceparent: childTraceparent(m.envelope?.traceparent) } });
    }
    // The producer cuts this into requests the broker accepts (bounded in bytes). The learned
    // names are written meanwhile, not after the acknowledgement: both must succeed before the
    // batch is committed, and a batch retried after a failed send may see names its own events
    // taught — as a redelivery after a crash between the upsert and the commit always could.
    const [sent, saved] = await Promise.allSettled([this.producer.send(Topics.eventsEnriched, out), this.names.save(learned)]);
    if (sent.status === 'rejected') throw sent.reason;
    if (saved.status === 'rejected') throw saved.reason;
    tally.flush();
    return out.length;
  }
}
