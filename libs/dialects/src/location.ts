import { emptyLocation, type LocationDto } from '@hookstream/contracts';

export type Location = LocationDto;

/** `UK` is ISO 3166's exceptionally reserved alias of `GB`; senders use it far more than `GB`. */
const COUNTRY_CODE_ALIASES: Readonly<Record<string, string>> = { UK: 'GB' };

/** A two-letter code in any case → the upper-case ISO 3166-1 alpha-2 code (with `UK` → `GB`); null otherwise. */
export function countryCodeOf(value: unknown): string | null {
  if (typeof value !== 'string' || !/^[A-Za-z]{2}$/.test(value.trim())) return null;
  const upper = value.trim().toUpperCase();
  return COUNTRY_CODE_ALIASES[upper] ?? upper;
}

export interface LocationFields {
  city?: string | null;
  state?: string | null;
  stateCode?: string | null;
  country?: string | null;
  countryCode?: string | null;
}

/**
 * A payload location. A `country` that is really a two-letter code (`DE`, `UK`) goes to
 * `countryCode` and leaves `country` empty for the enricher to name.
 * `source` is 'payload' when anything was given, else null (the enricher may use geo-IP).
 */
export function payloadLocation(fields: LocationFields): Location {
  const loc = emptyLocation();
  const clean = (v: string | null | undefined): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
  loc.city = clean(fields.city);
  loc.state = clean(fields.state);
  loc.stateCode = clean(fields.stateCode)?.toUpperCase() ?? null;
  loc.countryCode = countryCodeOf(fields.countryCode);
  const country = clean(fields.country);
  const countryAsCode = countryCodeOf(country);
  if (countryAsCode !== null) loc.countryCode = loc.countryCode ?? countryAsCode;
  else loc.country = country;
  const any = loc.city ?? loc.state ?? loc.stateCode ?? loc.country ?? loc.countryCode;
  loc.source = any === null ? null : 'payload';
  return loc;
}
