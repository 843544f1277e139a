import { emptyLocation, emptyPerson, type CanonicalEvent, type LocationDto, type PersonDto, type ProductDto } from '@hookstream/contracts';
import { APPLIED, enrichEvent, type EnrichDeps, type GeoLocator, type KnownName } from './enrich';
import { GeoIpLookup, type GeoLocation, type GeoOutcome } from './geoip';
import { emailKey } from './names';

const SECRET = 'test-secret';

function makeEvent(parts: { person?: Partial<PersonDto>; location?: Partial<LocationDto>; product?: ProductDto | null; products?: unknown[] } = {}): CanonicalEvent {
  return {
    id: 'evt_1',
    accountId: 'acc_1',
    sourceId: 'src_1',
    type: 'purchase',
    occurredAt: '2026-02-28T14:30:00Z',
    receivedAt: '2026-02-28T14:30:00.120Z',
    initiatedFrom: 'api',
    person: { ...emptyPerson(), ...parts.person },
    location: { ...emptyLocation(), ...parts.location },
    product: parts.product ?? null,
    // Products as a lax dialect might leave them (string prices, numeric ids).
    products: (parts.products ?? []) as ProductDto[],
    amount: null,
    currency: null,
    attributes: {},
    dialect: 'provesource',
  };
}

const MIAMI: GeoLocation = { city: 'Miami', state: 'Florida', stateCode: 'FL', country: 'United States', countryCode: 'US' };

function fakeGeo(outcome: GeoOutcome | (() => GeoOutcome)): GeoLocator & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    resolve(ip: string): GeoOutcome {
      calls.push(ip);
      return typeof outcome === 'function' ? outcome() : outcome;
    },
  };
}

function deps(overrides: Partial<EnrichDeps> = {}, history: Record<string, KnownName> = {}): EnrichDeps {
  return {
    geo: fakeGeo({ found: true, location: MIAMI }),
    nameHistory: (key) => history[key],
    emailKeySecret: SECRET,
    ...overrides,
  };
}

describe('enrichEvent — location', () => {
  it('locates an event that has only an IP', () => {
    const { event } = enrichEvent(makeEvent({ person: { ip: '141.92.55.102' } }), deps());
    expect(event.location).toEqual({ ...MIAMI, source: 'geoip' });
    expect(event.enrichment).toEqual({ applied: [APPLIED.geoip], warnings: [] });
  });

  it('does not look the IP up when the payload gave a place, and completes the payload instead', () => {
    const geo = fakeGeo({ found: true, location: MIAMI });
    const { event } = enrichEvent(makeEvent({ person: { ip: '141.92.55.102' }, location: { countryCode: 'DE', source: 'payload' } }), deps({ geo }));
    expect(geo.calls).toEqual([]);
    expect(event.location).toMatchObject({ country: 'Germany', countryCode: 'DE', source: 'lookup' });
    expect(event.enrichment?.applied).toEqual([APPLIED.lookup]);
  });

  it('keeps source "payload" when nothing needed completing', () => {
    const location = { city: 'London', country: 'United Kingdom', countryCode: 'GB', source: 'payload' as const };
    const { event } = enrichEvent(makeEvent({ location }), deps());
    expect(event.location).toEqual({ ...emptyLocation(), ...location });
    expect(event.enrichment?.applied).toEqual([]);
  });

  it('completes a US state given by name without a country (ProveSource state=Texas, city=Austin)', () => {
    const { event } = enrichEvent(makeEvent({ location: { city: 'Austin', state: 'Texas', source: 'payload' } }), deps());
    expect(event.location).toEqual({ city: 'Austin', state: 'Texas', stateCode: 'TX', country: 'United States', countryCode: 'US', source: 'lookup' });
    expect(event.enrichment?.applied).toEqual([APPLIED.lookup]);
    expect(event.enrichment?.warnings).toEqual([]);
  });

  it('leaves an ambiguous state code without a country as given and says why', () => {
    const { event } = enrichEvent(makeEvent({ location: { city: 'Springfield', stateCode: 'FL', source: 'payload' } }), deps());
    expect(event.location).toMatchObject({ stateCode: 'FL', state: null, country: null, countryCode: null });
    expect(event.enrichment?.warnings).toEqual([expect.stringContaining('location.state_ambiguous: stateCode "FL"')]);
  });

  it('keeps a payload state over the geo-IP one', () => {
    const { event } = enrichEvent(makeEvent({ person: { ip: '141.92.55.102' }, location: { stateCode: 'GA' } }), deps());
    expect(event.location).toMatchObject({ city: 'Miami', countryCode: 'US', stateCode: 'GA', state: 'Georgia', source: 'geoip' });
    expect(event.enrichment?.applied).toEqual([APPLIED.geoip, APPLIED.lookup]);
  });

  it('reports a skipped private address and leaves the location empty', () => {
    const { event } = enrichEvent(
      makeEvent({ person: { ip: '10.1.2.3' } }),
      deps({ geo: fakeGeo({ found: false, reason: 'ip.private' }) }),
    );
    expect(event.location).toEqual(emptyLocation());
    expect(event.enrichment?.warnings).toEqual(['geoip.skipped: ip.private; the address is not a public one']);
  });

  it('reports an address the database does not know', () => {
    const { event } = enrichEvent(makeEvent({ person: { ip: '8.8.8.8' } }), deps({ geo: fakeGeo({ found: false, reason: 'geoip.not_found' }) }));
    expect(event.enrichment?.warnings).toEqual(['geoip.not_found: the GeoIP database has no location for the address']);
  });

  it('reports a missing database', () => {
    const { event } = enrichEvent(makeEvent({ person: { ip: '8.8.8.8' } }), deps({ geo: null }));
    expect(event.location.countryCode).toBeNull();
    expect(event.enrichment?.warnings).toEqual(['geoip.unavailable: no GeoIP database is configured']);
  });

  it('survives a failing database, without leaking an address from its error', () => {
    const geo = fakeGeo(() => {
      throw new Error('corrupt record near jane.doe@example.com');
    });
    const { event } = enrichEvent(makeEvent({ person: { ip: '8.8.8.8', email: 'jane.doe@example.com' } }), deps({ geo }));
    expect(event.location.countryCode).toBeNull();
    expect(event.enrichment?.warnings).toEqual(['geoip.failed: corrupt record near [email]']);
    expect(event.person.firstName).toBe('Jane');
  });

  it('passes location mismatches on as warnings', () => {
    const { event } = enrichEvent(makeEvent({ location: { country: 'France', countryCode: 'DE', source: 'payload' } }), deps());
    expect(event.location.country).toBe('Germany');
    expect(event.enrichment?.warnings).toEqual([
      'location.country_mismatch: country "France" does not match countryCode "DE"; kept code DE',
    ]);
  });

  it('locates with the real shipped database', async () => {
    const geo = await GeoIpLookup.open();
    const { event } = enrichEvent(makeEvent({ person: { ip: '81.2.69.142' } }), deps({ geo }));
    expect(event.location).toMatchObject({ city: 'London', countryCode: 'GB', country: 'United Kingdom', source: 'geoip' });
  });
});

describe('enrichEvent — names', () => {
  const email = 'john.smith@example.com';
  const key = emailKey(email, SECRET);

  it('never overwrites payload names and remembers them', () => {
    const { event, learnedName } = enrichEvent(makeEvent({ person: { email, firstName: 'Johnny', lastName: 'S' } }), deps());
    expect(event.person).toMatchObject({ firstName: 'Johnny', lastName: 'S', nameSource: 'payload' });
    expect(learnedName).toEqual({ emailKey: key, firstName: 'Johnny', lastName: 'S' });
  });

  it('does not re-learn a name it already knows', () => {
    const { learnedName } = enrichEvent(
      makeEvent({ person: { email, firstName: 'Johnny', lastName: 'S' } }),
      deps({}, { [key]: { firstName: 'Johnny', lastName: 'S' } }),
    );
    expect(learnedName).toBeUndefined();
  });

  it('takes a missing name from history by email key', () => {
    const { event, learnedName } = enrichEvent(makeEvent({ person: { email } }), deps({}, { [key]: { firstName: 'Jonathan', lastName: 'Smythe' } }));
    expect(event.person).toMatchObject({ firstName: 'Jonathan', lastName: 'Smythe', nameSource: 'history' });
    expect(event.enrichment?.applied).toEqual([APPLIED.nameHistory]);
    expect(learnedName).toBeUndefined();
  });

  it('finds history under the normalised email', () => {
    const { event } = enrichEvent(makeEvent({ person: { email: ' John.Smith@EXAMPLE.com' } }), deps({}, { [key]: { firstName: 'Jonathan', lastName: null } }));
    expect(event.person.firstName).toBe('Jonathan');
  });

  it('uses the key the app already computed instead of hashing the email again', () => {
    const asked: string[] = [];
    const emailKeyOf = (e: string): string => {
      asked.push(e);
      return 'precomputed-key';
    };
    const { event, learnedName } = enrichEvent(
      makeEvent({ person: { email, firstName: 'Johnny' } }),
      deps({ emailKeyOf }, { 'precomputed-key': { firstName: 'Johnny', lastName: 'Smythe' } }),
    );
    expect(asked).toEqual([email]);
    expect(event.person).toMatchObject({ firstName: 'Johnny', lastName: 'Smythe' });
    expect(learnedName).toBeUndefined();
  });

  it('gives the same result with a precomputed key as without one', () => {
    const input = makeEvent({ person: { email: ' John.Smith@EXAMPLE.com', firstName: 'Jon' } });
    const history = { [key]: { firstName: 'Jon', lastName: 'Smythe' } };
    const withKey = enrichEvent(input, deps({ emailKeyOf: (e) => emailKey(e, SECRET) }, history));
    expect(withKey).toEqual(enrichEvent(input, deps({}, history)));
    expect(withKey.learnedName).toBeUndefined();
    expect(withKey.event.person.lastName).toBe('Smythe');
  });

  it('guesses a missing name from the email when history has none', () => {
    const { event } = enrichEvent(makeEvent({ person: { email } }), deps());
    expect(event.person).toMatchObject({ firstName: 'John', lastName: 'Smith', nameSource: 'email' });
    expect(event.enrichment?.applied).toEqual([APPLIED.nameEmail]);
  });

  it('completes a payload first name with a matching last name, per field', () => {
    const { event, learnedName } = enrichEvent(makeEvent({ person: { email, firstName: 'john' } }), deps());
    expect(event.person).toMatchObject({ firstName: 'john', lastName: 'Smith', nameSource: 'payload' });
    expect(learnedName).toEqual({ emailKey: key, firstName: 'john', lastName: null });
  });

  it('does not give a payload first name somebody else\'s last name', () => {
    const { event } = enrichEvent(makeEvent({ person: { email, firstName: 'Sarah' } }), deps({}, { [key]: { firstName: 'John', lastName: 'Smith' } }));
    expect(event.person).toMatchObject({ firstName: 'Sarah', lastName: null, nameSource: 'payload' });
    expect(event.enrichment?.applied).toEqual([]);
  });

  it('warns when no name can be found, without naming the address', () => {
    const { event } = enrichEvent(makeEvent({ person: { email: 'info@example.com' } }), deps());
    expect(event.person).toMatchObject({ firstName: null, lastName: null, nameSource: null });
    expect(event.enrichment?.warnings).toEqual(['name.unresolved: no remembered name and none readable from the email address']);
    expect(JSON.stringify(event.enrichment)).not.toContain('info@');
  });

  it('falls back to the email when the history lookup fails', () => {
    const { event } = enrichEvent(
      makeEvent({ person: { email } }),
      deps({
        nameHistory: () => {
          throw new Error(`no row for ${email}`);
        },
      }),
    );
    expect(event.person.firstName).toBe('John');
    expect(event.enrichment?.warnings).toEqual(['name.history_failed: no row for [email]']);
  });

  it('does not remember a name field that holds an email address', () => {
    const first = enrichEvent(makeEvent({ person: { email, firstName: 'bob@example.com', lastName: null } }), deps());
    expect(first.event.person.firstName).toBe('bob@example.com');
    expect(first.learnedName).toBeUndefined();
    const last = enrichEvent(makeEvent({ person: { email, firstName: 'Bob', lastName: 'mail: bob@example.com' } }), deps());
    expect(last.learnedName).toBeUndefined();
  });

  it('does nothing for names without an email', () => {
    const { event, learnedName } = enrichEvent(makeEvent({ person: { firstName: 'Sarah' } }), deps());
    expect(event.person).toMatchObject({ firstName: 'Sarah', nameSource: 'payload' });
    expect(learnedName).toBeUndefined();
    expect(event.enrichment).toEqual({ applied: [], warnings: [] });
  });
});

describe('enrichEvent — products', () => {
  it('normalises products and picks the most expensive as the product', () => {
    const { event } = enrichEvent(
      makeEvent({
        products: [
          { id: 1, name: 'Socks', link: 'https://s.example/socks', price: '5', quantity: '3' },
          { id: 2, name: 'Sneakers', link: 'https://s.example/sneakers', price: '55.5', quantity: 1 },
        ],
      }),
      deps(),
    );
    expect(event.product).toEqual({ id: '2', name: 'Sneakers', link: 'https://s.example/sneakers', image: null, price: 55.5, quantity: 1 });
    expect(event.products.map((p) => [p.id, p.price, p.quantity])).toEqual([['1', 5, 3], ['2', 55.5, 1]]);
    expect(event.enrichment?.applied).toEqual([APPLIED.productSelected]);
  });

  it('keeps a product the payload named', () => {
    const product: ProductDto = { id: null, name: 'Gift card', link: null, image: null, price: 10, quantity: 1 };
    const { event } = enrichEvent(makeEvent({ product, products: [{ name: 'Dearer', price: 99 }] }), deps());
    expect(event.product).toEqual(product);
    expect(event.enrichment?.applied).toEqual([]);
  });
});

describe('enrichEvent — safety', () => {
  it('does not mutate its input', () => {
    const input = makeEvent({ person: { ip: '8.8.8.8', email: 'john.smith@example.com' }, products: [{ name: 'a', price: '1' }] });
    const before = JSON.parse(JSON.stringify(input)) as unknown;
    enrichEvent(input, deps());
    expect(input).toEqual(before);
  });

  it('never throws, even on malformed input, and keeps emails out of warnings', () => {
    const input = makeEvent({ person: { email: 'a.b@example.com' }, location: { country: 'someone@example.com', source: 'payload' } });
    (input as { products: unknown }).products = 'not a list';
    const { event } = enrichEvent(input, deps({ emailKeySecret: '' }));
    expect(event.products).toEqual([]);
    const warnings = event.enrichment?.warnings ?? [];
    expect(warnings.some((w) => w.startsWith('location.country_unknown'))).toBe(true);
    expect(warnings.some((w) => w.startsWith('name.history_failed'))).toBe(true);
    expect(warnings.join('\n')).not.toMatch(/@example\.com/);
  });
});
