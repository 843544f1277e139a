import { emptyLocation, type LocationDto } from '@hookstream/contracts';
import {
  countryCodeFromName,
  countryNameFromCode,
  parseCountryCode,
  resolveLocation,
  subdivisionFromCode,
  subdivisionFromName,
} from './countries';

function loc(fields: Partial<LocationDto>): LocationDto {
  return { ...emptyLocation(), source: 'payload', ...fields };
}

describe('countryCodeFromName', () => {
  it.each([
    ['UK', 'GB'], ['U.K.', 'GB'], ['Great Britain', 'GB'], ['United Kingdom', 'GB'], ['England', 'GB'], ['scotland', 'GB'],
    ['USA', 'US'], ['U.S.A.', 'US'], ['United States of America', 'US'], ['United States', 'US'], ['America', 'US'],
    ['Deutschland', 'DE'], ['Germany', 'DE'], ['Holland', 'NL'], ['The Netherlands', 'NL'], ['Nederland', 'NL'],
    ['España', 'ES'], ['espana', 'ES'], ['Italia', 'IT'], ['Österreich', 'AT'], ['OSTERREICH', 'AT'],
    ['  france ', 'FR'], ['Côte d’Ivoire', 'CI'], ['Ivory Coast', 'CI'], ['St. Lucia', 'LC'], ['Russia', 'RU'],
    ['South Korea', 'KR'], ['Türkiye', 'TR'], ['Turkey', 'TR'], ['DEU', 'DE'],
  ])('%s → %s', (name, code) => {
    expect(countryCodeFromName(name)).toBe(code);
  });

  it.each([['Narnia'], ['Congo'], [''], ['Korea']])('%p → null (unknown or ambiguous)', (name) => {
    expect(countryCodeFromName(name)).toBeNull();
  });
});

describe('country codes', () => {
  it.each([
    ['us', 'US'], ['GB', 'GB'], ['UK', 'GB'], ['deu', 'DE'], [' fr ', 'FR'],
  ])('parseCountryCode(%p) → %p', (input, code) => {
    expect(parseCountryCode(input)).toBe(code);
  });

  it.each([['XX'], ['ZZZ'], ['U'], ['United States']])('parseCountryCode(%p) → null', (input) => {
    expect(parseCountryCode(input)).toBeNull();
  });

  it('names a code the way people write it', () => {
    expect(countryNameFromCode('US')).toBe('United States');
    expect(countryNameFromCode('GB')).toBe('United Kingdom');
    expect(countryNameFromCode('de')).toBe('Germany');
    expect(countryNameFromCode('XX')).toBeNull();
  });

  it('round-trips every display name back to its code', () => {
    for (const code of ['US', 'GB', 'DE', 'NL', 'KR', 'RU', 'IR', 'TW', 'LA', 'VA', 'MK', 'CI', 'JP', 'BR']) {
      const name = countryNameFromCode(code);
      expect(name).not.toBeNull();
      expect(countryCodeFromName(name ?? '')).toBe(code);
    }
  });
});

describe('subdivisions', () => {
  it('finds US states by short or full code, any case', () => {
    expect(subdivisionFromCode('US', 'FL')).toEqual({ countryCode: 'US', code: 'US-FL', stateCode: 'FL', name: 'Florida' });
    expect(subdivisionFromCode('us', 'us-fl')?.name).toBe('Florida');
    expect(subdivisionFromCode('US', 'ZZ')).toBeNull();
  });

  it('finds US states by name, and by a code written as a name', () => {
    expect(subdivisionFromName('US', 'florida')?.stateCode).toBe('FL');
    expect(subdivisionFromName('US', 'New York')?.stateCode).toBe('NY');
    expect(subdivisionFromName('US', 'TX')?.name).toBe('Texas');
    expect(subdivisionFromName('US', 'Washington, D.C.')?.stateCode).toBe('DC');
  });

  it.each([
    ['CA', 'Quebec', 'QC'], ['CA', 'Ontario', 'ON'], ['AU', 'New South Wales', 'NSW'], ['AU', 'Victoria', 'VIC'],
    ['GB', 'England', 'ENG'], ['GB', 'Scotland', 'SCT'], ['GB', 'Wales', 'WLS'], ['GB', 'Northern Ireland', 'NIR'],
    ['DE', 'Bayern', 'BY'], ['DE', 'Bavaria', 'BY'], ['DE', 'Nordrhein-Westfalen', 'NW'], ['DE', 'North Rhine-Westphalia', 'NW'],
    ['DE', 'Baden-Wurttemberg', 'BW'], ['NL', 'North Holland', 'NH'], ['JP', 'Tokyo', '13'],
  ])('%s %s → %s', (country, name, code) => {
    expect(subdivisionFromName(country, name)?.stateCode).toBe(code);
  });

  it('does not find a state of one country in another', () => {
    expect(subdivisionFromName('CA', 'Florida')).toBeNull();
    expect(subdivisionFromName('XX', 'Florida')).toBeNull();
  });
});

describe('resolveLocation', () => {
  it('fills country from code and state from stateCode (ProveSource: "if omitted will lookup")', () => {
    const r = resolveLocation(loc({ city: 'Miami', countryCode: 'US', stateCode: 'FL' }));
    expect(r.location).toEqual(loc({ city: 'Miami', country: 'United States', countryCode: 'US', state: 'Florida', stateCode: 'FL' }));
    expect(r.filled).toEqual(['country', 'state']);
    expect(r.warnings).toEqual([]);
  });

  it('fills codes from names', () => {
    const r = resolveLocation(loc({ country: 'USA', state: 'florida' }));
    expect(r.location).toMatchObject({ country: 'USA', countryCode: 'US', state: 'florida', stateCode: 'FL' });
    expect(r.filled).toEqual(['countryCode', 'stateCode']);
  });

  it('leaves a complete, consistent location untouched', () => {
    const input = loc({ city: 'London', country: 'United Kingdom', countryCode: 'GB' });
    const r = resolveLocation(input);
    expect(r.location).toEqual(input);
    expect(r.filled).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('lets the explicit code win over a contradicting name, and says so', () => {
    const r = resolveLocation(loc({ country: 'France', countryCode: 'DE' }));
    expect(r.location).toMatchObject({ country: 'Germany', countryCode: 'DE' });
    expect(r.warnings).toEqual(['location.country_mismatch: country "France" does not match countryCode "DE"; kept code DE']);
  });

  it('lets the explicit state code win too', () => {
    const r = resolveLocation(loc({ countryCode: 'US', state: 'Texas', stateCode: 'FL' }));
    expect(r.location).toMatchObject({ state: 'Florida', stateCode: 'FL' });
    expect(r.warnings).toEqual(['location.state_mismatch: state "Texas" does not match stateCode "FL" in US; kept code FL']);
  });

  it('keeps an unrecognised name next to a known code, with a warning', () => {
    const r = resolveLocation(loc({ country: 'Bundesrepublik', countryCode: 'DE' }));
    expect(r.location).toMatchObject({ country: 'Bundesrepublik', countryCode: 'DE' });
    expect(r.warnings).toEqual([
      'location.country_unknown: country "Bundesrepublik" not recognised; kept as given with countryCode DE',
    ]);
  });

  it('leaves the code empty for an unknown country name', () => {
    const r = resolveLocation(loc({ country: 'Narnia', state: 'Florida' }));
    expect(r.location).toMatchObject({ country: 'Narnia', countryCode: null, state: 'Florida', stateCode: null });
    expect(r.warnings).toEqual(['location.country_unknown: country "Narnia" not recognised; countryCode left empty']);
  });

  it('replaces an unknown code only when the name is recognised', () => {
    expect(resolveLocation(loc({ country: 'Germany', countryCode: 'XX' })).location.countryCode).toBe('DE');
    const kept = resolveLocation(loc({ countryCode: 'XX' }));
    expect(kept.location).toMatchObject({ country: null, countryCode: 'XX' });
    expect(kept.warnings).toEqual(['location.country_code_unknown: countryCode "XX" is not an ISO 3166-1 country code; kept as given']);
  });

  it('warns about an unknown state code and leaves the state empty', () => {
    const r = resolveLocation(loc({ countryCode: 'US', stateCode: 'ZZ' }));
    expect(r.location).toMatchObject({ state: null, stateCode: 'ZZ', country: 'United States' });
    expect(r.warnings).toEqual(['location.state_code_unknown: stateCode "ZZ" is not an ISO 3166-2 subdivision code in US; kept as given']);
  });

  it('canonicalises codes', () => {
    const r = resolveLocation(loc({ countryCode: 'uk', stateCode: 'gb-sct' }));
    expect(r.location).toMatchObject({ countryCode: 'GB', country: 'United Kingdom', stateCode: 'SCT', state: 'Scotland' });
  });

  it('completes the country and the state code of a state name no other country has (state=Texas, no country)', () => {
    const r = resolveLocation(loc({ city: 'Austin', state: 'Texas' }));
    expect(r.location).toEqual(loc({ city: 'Austin', state: 'Texas', stateCode: 'TX', country: 'United States', countryCode: 'US' }));
    expect(r.filled.sort()).toEqual(['country', 'countryCode', 'stateCode']);
    expect(r.warnings).toEqual([]);
    expect(resolveLocation(loc({ state: 'new south wales' })).location).toMatchObject({ countryCode: 'AU', stateCode: 'NSW', state: 'new south wales' });
  });

  it('completes the country from a state code only one country has, or from a name and code that agree', () => {
    expect(resolveLocation(loc({ stateCode: 'tx' })).location).toMatchObject({ countryCode: 'US', country: 'United States', state: 'Texas', stateCode: 'TX' });
    expect(resolveLocation(loc({ state: 'TX' })).location).toMatchObject({ countryCode: 'US', stateCode: 'TX' });
    // "CA" alone is eleven countries' code, with "California" it is one.
    expect(resolveLocation(loc({ state: 'California', stateCode: 'CA' })).location).toMatchObject({ countryCode: 'US', state: 'California', stateCode: 'CA' });
  });

  it('leaves an ambiguous state without a country as given, with a warning', () => {
    const r = resolveLocation(loc({ stateCode: 'CA' }));
    expect(r.location).toMatchObject({ stateCode: 'CA', state: null, country: null, countryCode: null });
    expect(r.filled).toEqual([]);
    expect(r.warnings).toEqual([expect.stringMatching(/^location\.state_ambiguous: stateCode "CA" without a country matches subdivisions in 11 countries \(.*US.*\); send country or countryCode/)]);
    expect(resolveLocation(loc({ state: 'Ontario', stateCode: 'TX' })).warnings).toEqual([]);
  });

  it('does not mutate its input', () => {
    const input = loc({ countryCode: 'US' });
    resolveLocation(input);
    expect(input.country).toBeNull();
  });
});
