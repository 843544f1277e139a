import { loadConfig } from '@hookstream/config';
import { emptyLocation, newId, type CanonicalEvent } from '@hookstream/contracts';
import { createDataSource, migrateWithLock, type DataSource } from '@hookstream/db';
import { RawJson, type EventProducer, type InboundMessage, type OutboundMessage } from '@hookstream/kafka';
import { AutomationIndex, contactIdFor, SubscriptionIndex } from '@hookstream/rules';
import { testBrokers, testDatabaseUrl, uniqueName } from '@hookstream/testing';
import { AutomationService } from '../src/automation/automation.service';
import { ContactsRepository, type LoadedContacts } from '../src/automation/contacts.repository';
import { AutomationConfig } from '../src/automation.config';
import type { RulesCache } from '../src/config-cache/rules.cache';

/**
 * Two automation replicas writing one contact (its enriched events and its contact events are
 * different topic-partitions, which the group may give to different replicas). On the real
 * database; Kafka is not what this is about, so produced messages are only recorded.
 */
describe('contacts written by two replicas at once (real PostgreSQL)', () => {
  let ds: DataSource;
  const acc = uniqueName('acc_race').replace(/-/g, '_');
  const email = 'ann.race@example.com';
  const key = `${acc}\u0000${email}`;

  beforeAll(async () => {
    ds = createDataSource({ url: testDatabaseUrl(), poolSize: 4, applicationName: 'contacts-race-test', preparedStatements: true });
    await ds.initialize();
    await migrateWithLock(ds);
  });
  afterAll(async () => {
    await ds.query('DELETE FROM contacts WHERE account_id = $1', [acc]);
    await ds.destroy();
  });

  const row = async () =>
    ((await ds.query('SELECT first_name, tags, version FROM contacts WHERE account_id = $1', [acc])) as { first_name: string | null; tags: string[]; version: string }[])[0];

  function event(over: Partial<CanonicalEvent>): InboundMessage<CanonicalEvent> {
    const value: CanonicalEvent = {
      id: newId('evt'), accountId: acc, sourceId: 'src_shop', type: 'purchase', occurredAt: '2026-11-25T10:00:00Z',
      receivedAt: '2026-11-25T10:00:00.100Z', initiatedFrom: 'api',
      person: { email, firstName: 'Ann', lastName: 'Race', ip: null, nameSource: 'payload' },
      location: emptyLocation(), product: null, products: [], amount: null, currency: null, attributes: {}, dialect: 'generic', ...over,
    };
    return { topic: 'hookstream.events.enriched.v1', partition: 0, offset: '0', key: null, value, headers: {}, timestamp: '0' };
  }

  it('the repository writes a contact only at the version it read, and reports who lost', async () => {
    const repo = new ContactsRepository(ds);
    const contact = { id: contactIdFor(acc, email), accountId: acc, emailNorm: email, firstName: 'Ann', lastName: null, tags: [], lists: [], fields: {}, createdFromEventId: 'evt_1' };
    expect(await repo.save([{ contact, expectedVersion: null }])).toEqual([]);
    // A second creator of the same person loses (it must read and plan again).
    expect(await repo.save([{ contact: { ...contact, firstName: 'Other' }, expectedVersion: null }])).toEqual([contact.id]);
    const read = await repo.load([{ accountId: acc, emailNorm: email }]);
    expect(read.versions.get(key)).toBe(1);
    // Replica B writes first; replica A's write from the same read loses and changes nothing.
    expect(await repo.save([{ contact: { ...contact, tags: ['vip'] }, expectedVersion: 1 }])).toEqual([]);
    expect(await repo.save([{ contact: { ...contact, firstName: 'Stale' }, expectedVersion: 1 }])).toEqual([contact.id]);
    expect(await row()).toEqual({ first_name: 'Ann', tags: ['vip'], version: '2' });
    await ds.query('DELETE FROM contacts WHERE account_id = $1', [acc]);
  });

  it("a batch that loses the race plans again on the stored contact: neither replica's change is lost", async () => {
    const produced: OutboundMessage[] = [];
    const producer: EventProducer = { send: async (_topic, messages) => void produced.push(...messages) };
    const cache = { subscriptions: new SubscriptionIndex(), automations: new AutomationIndex() } as unknown as RulesCache;
    const config = loadConfig(AutomationConfig, { KAFKA_BROKERS: testBrokers().join(','), DATABASE_URL: testDatabaseUrl(), HOOKSTREAM_DEV_INSECURE_KEYS: 'true' });
    const other = new ContactsRepository(ds);
    let loads = 0;
    /** Replica A's repository: right after A's first read, replica B tags the contact "vip". */
    class RacedRepository extends ContactsRepository {
      override async load(keys: { accountId: string; emailNorm: string }[]): Promise<LoadedContacts> {
        const read = await super.load(keys);
        if (++loads === 1) {
          const b = await other.load(keys);
          const c = b.contacts.get(key)!;
          expect(await other.save([{ contact: { ...c, tags: [...c.tags, 'vip'] }, expectedVersion: b.versions.get(key)! }])).toEqual([]);
        }
        return read;
      }
    }

    // The contact exists (version 1), then A renames it while B tags it.
    await new AutomationService(cache, new ContactsRepository(ds), producer, config).process([event({})]);
    expect(await row()).toEqual({ first_name: 'Ann', tags: [], version: '1' });
    const a = new AutomationService(cache, new RacedRepository(ds), producer, config);
    await a.process([event({ person: { email, firstName: 'Annabel', lastName: 'Race', ip: null, nameSource: 'payload' } })]);

    expect(loads).toBe(2); // planned twice: the first write lost to B's
    expect(await row()).toEqual({ first_name: 'Annabel', tags: ['vip'], version: '3' });
    // The rename was announced (contact.updated) in both rounds with the same id: one event downstream.
    const values = produced.map((m) => (m.value instanceof RawJson ? JSON.parse(m.value.text) : m.value) as CanonicalEvent);
    const updates = values.filter((e) => e.type === 'contact.updated');
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(new Set(updates.map((e) => e.id)).size).toBe(1);
  });
});
