import type { LocationDto } from '@hookstream/contracts';
import countries, { type LocaleData } from 'i18n-iso-countries';
import cs from 'i18n-iso-countries/langs/cs.json';
import da from 'i18n-iso-countries/langs/da.json';
import de from 'i18n-iso-countries/langs/de.json';
import el from 'i18n-iso-countries/langs/el.json';
import en from 'i18n-iso-countries/langs/en.json';
import es from 'i18n-iso-countries/langs/es.json';
import fi from 'i18n-iso-countries/langs/fi.json';
import fr from 'i18n-iso-countries/langs/fr.json';
import hu from 'i18n-iso-countries/langs/hu.json';
import it from 'i18n-iso-countries/langs/it.json';
import ja from 'i18n-iso-countries/langs/ja.json';
import nb from 'i18n-iso-countries/langs/nb.json';
import nl from 'i18n-iso-countries/langs/nl.json';
import pl from 'i18n-iso-countries/langs/pl.json';
import pt from 'i18n-iso-countries/langs/pt.json';
import ro from 'i18n-iso-countries/langs/ro.json';
import ru from 'i18n-iso-countries/langs/ru.json';
import sv from 'i18n-iso-countries/langs/sv.json';
import tr from 'i18n-iso-countries/langs/tr.json';
import zh from 'i18n-iso-countries/langs/zh.json';
import iso31662 from 'iso-3166-2';
import { LRUCache } from 'lru-cache';

/**
 * Names in the locales below are indexed only for the countries that speak them: a name
 * in one language can be another country's name in another ("Georgia" vs "Géorgie" is
 * harmless, but e.g. "Guinea" differs across Spanish/English), so mixing all locales'
 * names for all countries would create collisions.
 */
const NATIVE_NAME_LOCALES: ReadonlyArray<[LocaleData, readonly string[]]> = [
  [de, ['DE', 'AT', 'CH', 'LI', 'LU']],
  [fr, ['FR', 'BE', 'CH', 'LU', 'MC']],
  [it, ['IT', 'CH', 'SM']],
  [es, ['ES', 'MX', 'AR', 'CO', 'CL', 'PE']],
  [pt, ['PT', 'BR']],
  [nl, ['NL', 'BE']],
  [pl, ['PL']],
  [sv, ['SE']],
  [da, ['DK']],
  [nb, ['NO']],
  [fi, ['FI']],
  [cs, ['CZ']],
  [hu, ['HU']],
  [ro, ['RO']],
  [el, ['GR', 'CY']],
  [tr, ['TR']],
  [ru, ['RU']],
  [ja, ['JP']],
  [zh, ['CN', 'TW']],
];

/** Colloquial names that no locale file carries; all map to exactly one code. */
const COUNTRY_ALIASES: Readonly<Record<string, string>> = {
  uk: 'GB', gb: 'GB', britain: 'GB', 'great britain': 'GB', england: 'GB', scotland: 'GB', wales: 'GB',
  'northern ireland': 'GB', 'united kingdom of great britain and northern ireland': 'GB',
  us: 'US', usa: 'US', america: 'US', 'united states': 'US', 'united states of america': 'US',
  holland: 'NL', czech: 'CZ', czechia: 'CZ', laos: 'LA', syria: 'SY', moldova: 'MD', brunei: 'BN',
  vatican: 'VA', 'vatican city': 'VA', macedonia: 'MK', burma: 'MM', swaziland: 'SZ',
  'east timor': 'TL', uae: 'AE', emirates: 'AE', bosnia: 'BA', 'south korea': 'KR', 'north korea': 'KP',
  micronesia: 'FM', 'cape verde': 'CV', macau: 'MO', macao: 'MO', 'hong kong': 'HK', kosovo: 'XK',
};

/** English display names where the ISO "official" name is not what people write. */
const DISPLAY_NAMES: Readonly<Record<string, string>> = {
  US: 'United States', RU: 'Russia', KR: 'South Korea', KP: 'North Korea', IR: 'Iran', TW: 'Taiwan',
  TZ: 'Tanzania', LA: 'Laos', SY: 'Syria', MD: 'Moldova', VA: 'Vatican City', BN: 'Brunei',
  FM: 'Micronesia', PS: 'Palestine', MK: 'North Macedonia', BO: 'Bolivia', VE: 'Venezuela',
};

/** English names of subdivisions whose ISO 3166-2 name (in iso-3166-2's data) is the local one. */
const SUBDIVISION_ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  DE: {
    bavaria: 'BY', 'lower saxony': 'NI', 'north rhine westphalia': 'NW', 'rhineland palatinate': 'RP',
    saxony: 'SN', 'saxony anhalt': 'ST', thuringia: 'TH', hesse: 'HE',
    'mecklenburg western pomerania': 'MV', 'mecklenburg west pomerania': 'MV',
  },
  NL: { 'north holland': 'NH', 'south holland': 'ZH', 'north brabant': 'NB', friesland: 'FR' },
  US: { 'washington dc': 'DC', 'washington d c': 'DC' },
};

/**
 * Case-, accent- and punctuation-insensitive key: "U.S.A." → "usa", "Österreich" →
 * "osterreich", "St. Lucia" → "saint lucia", "The Netherlands" → "netherlands".
 */
export function normaliseName(value: string): string {
  let key = normalisedNames.get(value);
  if (key === undefined) {
    key = computeNormalisedName(value);
    normalisedNames.set(value, key);
  }
  return key;
}

/** Default byte budget of the name-normalisation cache. */
export const DEFAULT_NAME_CACHE_BYTES = 4 * 1024 * 1024;
/** Smallest budget accepted: below it the cache would hold almost nothing. */
export const MIN_NAME_CACHE_BYTES = 64 * 1024;
/** Rough cost of one entry beyond its strings (map node, LRU links). */
const ENTRY_OVERHEAD_BYTES = 64;

/**
 * Payload text is unbounded in variety and in length, while the hot set (geo names) is small:
 * the cache is bounded by bytes — strings cost 2 bytes per UTF-16 unit — and least recently
 * used entries go first. One entry may take at most 1/64 of the budget, so a huge payload value
 * is normalised but never cached and cannot flush the geo names.
 */
function newNameCache(maxBytes: number): LRUCache<string, string> {
  return new LRUCache<string, string>({
    maxSize: maxBytes,
    sizeCalculation: (value, key) => ENTRY_OVERHEAD_BYTES + 2 * (key.length + value.length),
    maxEntrySize: Math.floor(maxBytes / 64),
  });
}

let normalisedNames = newNameCache(DEFAULT_NAME_CACHE_BYTES);

/** Sets the name cache's byte budget (the enricher's ENRICHER_NAME_CACHE_BYTES); empties it. */
export function configureNameCache(opts: { maxBytes: number }): void {
  if (!Number.isInteger(opts.maxBytes) || opts.maxBytes < MIN_NAME_CACHE_BYTES) {
    throw new RangeError(`the name cache needs a whole number of bytes, at least ${MIN_NAME_CACHE_BYTES}; got ${opts.maxBytes}`);
  }
  normalisedNames = newNameCache(opts.maxBytes);
}

export interface NameCacheStats {
  entries: number;
  /** Bytes the entries are counted for (see newNameCache). */
  bytes: number;
  maxBytes: number;
}

export function nameCacheStats(): NameCacheStats {
  return { entries: normalisedNames.size, bytes: normalisedNames.calculatedSize, maxBytes: normalisedNames.maxSize };
}

function computeNormalisedName(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/['’.]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .replace(/^the /, '')
    .replace(/\bst\b/g, 'saint');
}

countries.registerLocale(en);
for (const [locale] of NATIVE_NAME_LOCALES) countries.registerLocale(locale);

const countryByName: ReadonlyMap<string, string> = buildCountryIndex();

function buildCountryIndex(): Map<string, string> {
  const index = new Map<string, string>();
  const ambiguous = new Set<string>();
  const add = (name: string, code: string): void => {
    const key = normaliseName(name);
    if (key === '' || ambiguous.has(key)) return;
    const existing = index.get(key);
    if (existing === undefined) index.set(key, code);
    else if (existing !== code) {
      // "Congo" names two countries: an ambiguous name resolves to nothing rather than a guess.
      index.delete(key);
      ambiguous.add(key);
    }
  };
  const english = countries.getNames('en', { select: 'all' });
  for (const [code, names] of Object.entries(english)) for (const name of names) add(name, code);
  for (const [locale, codes] of NATIVE_NAME_LOCALES) {
    for (const code of codes) {
      for (const name of countries.getName(code, locale.locale, { select: 'all' }) ?? []) add(name, code);
    }
  }
  // Explicit aliases override whatever the locale tables made of the same key.
  for (const [alias, code] of Object.entries(COUNTRY_ALIASES)) {
    ambiguous.delete(alias);
    index.set(alias, code);
  }
  return index;
}

/**
 * An ISO 3166-1 alpha-2 code from a code-like input in any case: "us", "GB", "UK"
 * (ISO's exceptionally reserved alias of GB), alpha-3 "DEU". Null when not a known country.
 */
export function parseCountryCode(value: string): string | null {
  const raw = value.trim().toUpperCase();
  if (raw === 'UK') return 'GB';
  if (/^[A-Z]{2}$/.test(raw)) return countries.isValid(raw) ? raw : null;
  if (/^[A-Z]{3}$/.test(raw)) return countries.alpha3ToAlpha2(raw) ?? null;
  return null;
}

/** "Deutschland", "U.S.A.", "Great Britain", "holland", "USA", "DEU" → ISO alpha-2; null when unknown or ambiguous. */
export function countryCodeFromName(name: string): string | null {
  const byName = countryByName.get(normaliseName(name));
  if (byName !== undefined) return byName;
  return /^\s*[A-Za-z]{3}\s*$/.test(name) ? parseCountryCode(name) : null;
}

/** The English name people expect to read ("United States", "United Kingdom"); null for an unknown code. */
export function countryNameFromCode(code: string): string | null {
  const alpha2 = parseCountryCode(code);
  if (alpha2 === null) return null;
  return DISPLAY_NAMES[alpha2] ?? countries.getName(alpha2, 'en') ?? null;
}

export interface Subdivision {
  countryCode: string;
  /** Full ISO 3166-2 code, e.g. "US-FL". */
  code: string;
  /** The part after the dash, e.g. "FL" — what `LocationDto.stateCode` holds. */
  stateCode: string;
  name: string;
}

interface SubdivisionIndex {
  byCode: Map<string, Subdivision>;
  byName: Map<string, Subdivision>;
}

const subdivisionIndexes = new Map<string, SubdivisionIndex | null>();

function subdivisionIndex(countryCode: string): SubdivisionIndex | null {
  const cached = subdivisionIndexes.get(countryCode);
  if (cached !== undefined) return cached;
  const country = iso31662.data[countryCode];
  let index: SubdivisionIndex | null = null;
  if (country !== undefined) {
    index = { byCode: new Map(), byName: new Map() };
    for (const [code, sub] of Object.entries(country.sub)) {
      // iso-3166-2 marks some local-language names with a trailing "*".
      const name = sub.name.replace(/\*+$/, '').trim();
      const entry: Subdivision = { countryCode, code, stateCode: code.slice(countryCode.length + 1), name };
      index.byCode.set(entry.stateCode, entry);
      const key = normaliseName(name);
      if (!index.byName.has(key)) index.byName.set(key, entry);
    }
    for (const [alias, stateCode] of Object.entries(SUBDIVISION_ALIASES[countryCode] ?? {})) {
      const entry = index.byCode.get(stateCode);
      if (entry !== undefined) index.byName.set(alias, entry);
    }
  }
  subdivisionIndexes.set(countryCode, index);
  return index;
}

/** "FL", "fl" or "US-FL" within US → Florida. */
export function subdivisionFromCode(countryCode: string, stateCode: string): Subdivision | null {
  const country = parseCountryCode(countryCode);
  if (country === null) return null;
  const raw = stateCode.trim().toUpperCase();
  const short = raw.startsWith(`${country}-`) ? raw.slice(country.length + 1) : raw;
  return subdivisionIndex(country)?.byCode.get(short) ?? null;
}

/** "Florida", "florida", "Bavaria", "Bayern" within their country; a code given as a name ("FL") also resolves. */
export function subdivisionFromName(countryCode: string, name: string): Subdivision | null {
  const country = parseCountryCode(countryCode);
  if (country === null) return null;
  const byName = subdivisionIndex(country)?.byName.get(normaliseName(name));
  if (byName !== undefined) return byName;
  return /^\s*[A-Za-z0-9]{1,3}\s*$/.test(name) ? subdivisionFromCode(country, name) : null;
}

interface GlobalSubdivisionIndex {
  /** Normalised subdivision name → the countries that have a subdivision of that name. */
  byName: Map<string, Set<string>>;
  /** Subdivision code ("TX") → the countries that have it. */
  byCode: Map<string, Set<string>>;
}

let globalSubdivisions: GlobalSubdivisionIndex | null = null;

function globalSubdivisionIndex(): GlobalSubdivisionIndex {
  if (globalSubdivisions !== null) return globalSubdivisions;
  const index: GlobalSubdivisionIndex = { byName: new Map(), byCode: new Map() };
  const add = (map: Map<string, Set<string>>, key: string, country: string): void => {
    const set = map.get(key) ?? new Set<string>();
    set.add(country);
    map.set(key, set);
  };
  for (const country of Object.keys(iso31662.data)) {
    const sub = subdivisionIndex(country);
    if (sub === null) continue;
    for (const key of sub.byName.keys()) add(index.byName, key, country);
    for (const key of sub.byCode.keys()) add(index.byCode, key, country);
  }
  globalSubdivisions = index;
  return index;
}

/**
 * The countries that have a subdivision called `name` and/or coded `stateCode` (both given: those
 * that match both). "Texas" → [US]; "CA" → US, ES, IT and eight more.
 */
export function countriesOfSubdivision(name: string | null, stateCode: string | null): string[] {
  const index = globalSubdivisionIndex();
  const byName = present(name) ? (index.byName.get(normaliseName(name)) ?? new Set<string>()) : null;
  const code = present(stateCode) ? stateCode.trim().toUpperCase() : null;
  const byCode = code === null ? null : (index.byCode.get(code) ?? new Set<string>());
  // A name that is short and code-like ("TX") may be the code itself.
  const nameAsCode = byName !== null && byName.size === 0 && name !== null && /^\s*[A-Za-z0-9]{1,3}\s*$/.test(name) ? index.byCode.get(name.trim().toUpperCase()) : undefined;
  const fromName = nameAsCode ?? byName;
  if (fromName !== null && byCode !== null) return [...fromName].filter((c) => byCode.has(c)).sort();
  return [...(fromName ?? byCode ?? [])].sort();
}

export interface LocationResolution {
  location: LocationDto;
  /** Fields this resolution filled or corrected. */
  filled: Array<'country' | 'countryCode' | 'state' | 'stateCode'>;
  warnings: string[];
}

function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

function present(value: string | null | undefined): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

interface PairEntry {
  /** The value the code field should hold ("US", "FL"). */
  code: string;
  name: string;
}

interface PairSpec {
  kind: 'country' | 'state';
  nameField: 'country' | 'state';
  codeField: 'countryCode' | 'stateCode';
  /** Appended to messages, e.g. " in US". */
  scope: string;
  /** What a valid code is, for the unknown-code warning. */
  codeStandard: string;
  byCode(code: string): PairEntry | null;
  byName(name: string): PairEntry | null;
}

/** One name/code pair (country/countryCode or state/stateCode); rules in `resolveLocation`. */
function resolvePair(location: LocationDto, spec: PairSpec, out: LocationResolution): PairEntry | null {
  const givenName = location[spec.nameField];
  const givenCode = location[spec.codeField];
  const fromCode = present(givenCode) ? spec.byCode(givenCode) : null;
  const fromName = present(givenName) ? spec.byName(givenName) : null;
  const set = (field: 'country' | 'countryCode' | 'state' | 'stateCode', value: string): void => {
    if (location[field] === value) return;
    location[field] = value;
    out.filled.push(field);
  };

  if (fromCode !== null) {
    set(spec.codeField, fromCode.code);
    if (!present(givenName)) {
      set(spec.nameField, fromCode.name);
    } else if (fromName === null) {
      out.warnings.push(
        `location.${spec.kind}_unknown: ${spec.nameField} ${quote(givenName)} not recognised${spec.scope}; kept as given with ${spec.codeField} ${fromCode.code}`,
      );
    } else if (fromName.code !== fromCode.code) {
      out.warnings.push(
        `location.${spec.kind}_mismatch: ${spec.nameField} ${quote(givenName)} does not match ${spec.codeField} "${fromCode.code}"${spec.scope}; kept code ${fromCode.code}`,
      );
      set(spec.nameField, fromCode.name);
    }
    return fromCode;
  }

  if (present(givenCode)) {
    // An unreadable code is replaced only when the name identifies the entry with certainty.
    const tail = fromName === null ? 'kept as given' : `replaced by ${fromName.code} from ${spec.nameField} ${quote(givenName ?? '')}`;
    out.warnings.push(`location.${spec.codeField === 'countryCode' ? 'country_code' : 'state_code'}_unknown: ${spec.codeField} ${quote(givenCode)} is not ${spec.codeStandard}${spec.scope}; ${tail}`);
  }
  if (fromName !== null) {
    set(spec.codeField, fromName.code);
    return fromName;
  }
  if (present(givenName)) {
    out.warnings.push(`location.${spec.kind}_unknown: ${spec.nameField} ${quote(givenName)} not recognised${spec.scope}; ${spec.codeField} left empty`);
  }
  return null;
}

/**
 * Completes a location's country/countryCode and state/stateCode pairs from each other.
 *
 * Rules (what the sender gave is only ever corrected, never dropped):
 * - one half of a pair given → the other half is looked up (ProveSource: "if omitted will
 *   lookup using countryCode");
 * - both given and they disagree → the explicit code wins and the name is replaced by the
 *   code's name, with a `*_mismatch` warning: senders copy codes from systems but type
 *   names as free text, so the code is the more reliable half;
 * - a name that cannot be recognised next to a known code is kept (it may be a variant we
 *   lack) with a `*_unknown` warning;
 * - an unknown code is kept as given with a warning, unless a recognised name gives the code;
 * - codes are canonicalised: "us"/"UK"/"DEU" → "US"/"GB"/"DE", "us-fl"/"fl" → "FL";
 * - a state (name or code) without any country completes the country when exactly one country
 *   has a subdivision of that name/code ("Texas" → US); when several do ("CA": California,
 *   Cádiz, Cagliari …) nothing is guessed and a `location.state_ambiguous` warning says so.
 */
export function resolveLocation(input: LocationDto): LocationResolution {
  const out: LocationResolution = { location: { ...input }, filled: [], warnings: [] };
  completeCountryFromState(out);
  const country = resolvePair(out.location, {
    kind: 'country',
    nameField: 'country',
    codeField: 'countryCode',
    scope: '',
    codeStandard: 'an ISO 3166-1 country code',
    byCode: (code) => {
      const alpha2 = parseCountryCode(code);
      const name = alpha2 === null ? null : countryNameFromCode(alpha2);
      return alpha2 === null || name === null ? null : { code: alpha2, name };
    },
    byName: (name) => {
      const alpha2 = countryCodeFromName(name);
      const display = alpha2 === null ? null : countryNameFromCode(alpha2);
      return alpha2 === null || display === null ? null : { code: alpha2, name: display };
    },
  }, out);
  if (country === null) return out;
  const toEntry = (sub: Subdivision | null): PairEntry | null => (sub === null ? null : { code: sub.stateCode, name: sub.name });
  resolvePair(out.location, {
    kind: 'state',
    nameField: 'state',
    codeField: 'stateCode',
    scope: ` in ${country.code}`,
    codeStandard: 'an ISO 3166-2 subdivision code',
    byCode: (code) => toEntry(subdivisionFromCode(country.code, code)),
    byName: (name) => toEntry(subdivisionFromName(country.code, name)),
  }, out);
  return out;
}

/** A state given without a country: the country, when the state names exactly one (see resolveLocation). */
function completeCountryFromState(out: LocationResolution): void {
  const loc = out.location;
  if (present(loc.country) || present(loc.countryCode) || (!present(loc.state) && !present(loc.stateCode))) return;
  const candidates = countriesOfSubdivision(loc.state, loc.stateCode);
  const given = [present(loc.state) ? `state ${quote(loc.state)}` : null, present(loc.stateCode) ? `stateCode ${quote(loc.stateCode)}` : null].filter((x) => x !== null).join(' and ');
  if (candidates.length === 1) {
    loc.countryCode = candidates[0];
    out.filled.push('countryCode');
    return;
  }
  if (candidates.length > 1) {
    const shown = candidates.length > 12 ? `${candidates.slice(0, 12).join(', ')} and ${candidates.length - 12} more` : candidates.join(', ');
    out.warnings.push(`location.state_ambiguous: ${given} without a country matches subdivisions in ${candidates.length} countries (${shown}); send country or countryCode to complete it`);
  }
}
