import { countryCodeOf, payloadLocation } from './location';

describe('countryCodeOf', () => {
  it('upper-cases two-letter codes and maps UK to GB', () => {
    expect(countryCodeOf('de')).toBe('DE');
    expect(countryCodeOf('UK')).toBe('GB');
    expect(countryCodeOf('USA')).toBeNull();
    expect(countryCodeOf('United States')).toBeNull();
    expect(countryCodeOf(1)).toBeNull();
  });
});

describe('payloadLocation', () => {
  it('moves a country code given as country to countryCode', () => {
    expect(payloadLocation({ city: 'Berlin', country: 'DE' })).toEqual({
      city: 'Berlin', state: null, stateCode: null, country: null, countryCode: 'DE', source: 'payload',
    });
  });
  it('keeps an explicit countryCode over a code-like country', () => {
    expect(payloadLocation({ country: 'FR', countryCode: 'be' }).countryCode).toBe('BE');
  });
  it('has no source when empty', () => {
    expect(payloadLocation({ city: '  ' }).source).toBeNull();
  });
});
