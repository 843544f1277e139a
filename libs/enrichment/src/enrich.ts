import { errorMessage, type CanonicalEvent, type LocationDto, type NameSource, type PersonDto, type ProductDto } from '@hookstream/contracts';
import { resolveLocation } from './countries';
import type { GeoOutcome } from './geoip';
import { emailKey, nameFromEmail, redactEmails } from './names';
import { normaliseProduct, normaliseProducts, pickProduct } from './products';

/** What `enrichEvent` needs of a GeoIP database; `GeoIpLookup` is one. */
export interface GeoLocator {
  resolve(ip: string): GeoOutcome;
}

/** A name remembered for an email key (the name table's row). */
export interface KnownName {
  firstName: string | null;
  lastName: string | null;
}

export interface EnrichDeps {
  /** Null when no database is configured: events with only an IP then keep an empty location. */
  geo: GeoLocator | null;
  /** Names the app pre-fetched for the batch, by `emailKey`; enrichment itself does no I/O. */
  nameHistory: (emailKey: string) => KnownName | undefined;
  emailKeySecret: string;
  /**
   * Must equal `emailKey(email, emailKeySecret)`. An app that already hashed the batch's emails
   * (to prefetch `nameHistory`) passes its keys here, so each address is hashed once, not twice.
   */
  emailKeyOf?: (email: string) => string;
}

/** A name the payload gave, for the app to remember under the email key. */
export interface LearnedName {
  emailKey: string;
  firstName: string;
  lastName: string | null;
}

export interface EnrichResult {
  event: CanonicalEvent;
  learnedName?: LearnedName;
}

/** Tags in `enrichment.applied`, one per step that changed the event. */
export const APPLIED = {
  geoip: 'location.geoip',
  lookup: 'location.lookup',
  nameHistory: 'name.history',
  nameEmail: 'name.email',
  productSelected: 'product.selected',
} as const;

function present(value: string | null | undefined): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function fold(value: string): string {
  return value.normalize('NFKD').replace(/\p{M}/gu, '').trim().toLowerCase();
}

function message(error: unknown): string {
  return redactEmails(errorMessage(error));
}

function hasPlace(location: LocationDto): boolean {
  return present(location.city) || present(location.country) || present(location.countryCode);
}

function hasAnyLocation(location: LocationDto): boolean {
  return hasPlace(location) || present(location.state) || present(location.stateCode);
}

function enrichLocation(event: CanonicalEvent, deps: EnrichDeps, applied: string[], warnings: string[]): void {
  const ip = event.person.ip;
  let fromGeo = false;
  if (!hasPlace(event.location) && present(ip)) {
    try {
      if (deps.geo === null) {
        warnings.push('geoip.unavailable: no GeoIP database is configured');
      } else {
        const outcome = deps.geo.resolve(ip);
        if (outcome.found) {
          const found = outcome.location;
          const location = { ...event.location, city: found.city, country: found.country, countryCode: found.countryCode };
          // state/stateCode are a pair: a payload half is completed by lookup, not mixed with geo's.
          if (!present(location.state) && !present(location.stateCode)) {
            location.state = found.state;
            location.stateCode = found.stateCode;
          }
          location.source = 'geoip';
          event.location = location;
          fromGeo = true;
          applied.push(APPLIED.geoip);
        } else if (outcome.reason.startsWith('ip.')) {
          warnings.push(`geoip.skipped: ${outcome.reason}; the address is not a public one`);
        } else {
          warnings.push(`${outcome.reason}: the GeoIP database has no location for the address`);
        }
      }
    } catch (error) {
      warnings.push(`geoip.failed: ${message(error)}`);
    }
  }

  if (!hasAnyLocation(event.location)) return;
  try {
    const resolution = resolveLocation(event.location);
    // A geo database's region names that ISO 3166-2 data lacks ("Lombardy", "Gyeonggi-do":
    // about a fifth of lookups) just leave stateCode empty; that is no problem of the event.
    warnings.push(...(fromGeo ? resolution.warnings.filter((w) => !w.startsWith('location.state_unknown')) : resolution.warnings));
    if (resolution.filled.length > 0) {
      event.location = { ...resolution.location, source: fromGeo ? 'geoip' : 'lookup' };
      applied.push(APPLIED.lookup);
    } else if (event.location.source === null) {
      event.location = { ...event.location, source: 'payload' };
    }
  } catch (error) {
    warnings.push(`location.failed: ${message(error)}`);
  }
}

/**
 * A remembered or guessed name may complete the current one only if it does not contradict
 * it: "Sarah" from the payload plus "Smith" guessed from john.smith@ would invent a person.
 */
function compatible(candidate: KnownName, current: KnownName): boolean {
  const same = (a: string | null, b: string | null): boolean => a === null || b === null || fold(a) === fold(b);
  return same(candidate.firstName, current.firstName) && same(candidate.lastName, current.lastName);
}

/** Fills the person's missing name fields from `candidate`; true when anything changed. */
function fillName(person: PersonDto, candidate: KnownName): boolean {
  let changed = false;
  if (!present(person.firstName) && present(candidate.firstName)) {
    person.firstName = candidate.firstName;
    changed = true;
  }
  if (!present(person.lastName) && present(candidate.lastName)) {
    person.lastName = candidate.lastName;
    changed = true;
  }
  return changed;
}

/**
 * Names, per field: a name the payload gave is never overwritten; a missing field is taken
 * from the name remembered for the email key, then guessed from the email's local part.
 * `nameSource` is 'payload' when the payload gave either field (the displayed first name is
 * then the sender's), else 'history' or 'email' for where the first name came from.
 */
function enrichName(event: CanonicalEvent, deps: EnrichDeps, applied: string[], warnings: string[]): LearnedName | undefined {
  const person: PersonDto = { ...event.person };
  event.person = person;
  const given: KnownName = {
    firstName: present(person.firstName) ? person.firstName : null,
    lastName: present(person.lastName) ? person.lastName : null,
  };
  let source: NameSource | null = given.firstName !== null || given.lastName !== null ? 'payload' : null;
  const email = present(person.email) && person.email.includes('@') ? person.email : null;

  let key: string | null = null;
  let history: KnownName | undefined;
  if (email !== null) {
    try {
      key = deps.emailKeyOf === undefined ? emailKey(email, deps.emailKeySecret) : deps.emailKeyOf(email);
      history = deps.nameHistory(key);
    } catch (error) {
      warnings.push(`name.history_failed: ${message(error)}`);
    }
  }

  let lastFromHistory = false;
  if (email !== null && (given.firstName === null || given.lastName === null)) {
    if (history !== undefined && present(history.firstName) && compatible(history, given)) {
      const hadLast = present(person.lastName);
      if (fillName(person, history)) {
        applied.push(APPLIED.nameHistory);
        source ??= 'history';
        lastFromHistory = !hadLast && present(person.lastName);
      }
    }
    if (!present(person.firstName) || !present(person.lastName)) {
      try {
        const guessed = nameFromEmail(email);
        if (guessed !== null && compatible(guessed, { firstName: person.firstName, lastName: person.lastName }) && fillName(person, guessed)) {
          applied.push(APPLIED.nameEmail);
          source ??= 'email';
        }
      } catch (error) {
        warnings.push(`name.failed: ${message(error)}`);
      }
    }
    if (!present(person.firstName)) {
      warnings.push('name.unresolved: no remembered name and none readable from the email address');
    }
  }
  person.nameSource = source;

  if (key === null || given.firstName === null) return undefined;
  return learn(key, given.firstName, given.lastName ?? (lastFromHistory ? person.lastName : null), history);
}

/** An address typed into a name field ("bob@example.com" as first name) is not a name. */
function holdsEmail(value: string | null): boolean {
  return value !== null && redactEmails(value) !== value;
}

/** Only names a payload stated are remembered, and only when they differ from what is already known. */
function learn(key: string, firstName: string, lastName: string | null, known: KnownName | undefined): LearnedName | undefined {
  // The name table must never hold an address in clear text, whichever field it was typed into.
  if (holdsEmail(firstName) || holdsEmail(lastName)) return undefined;
  if (known !== undefined && known.firstName === firstName && (known.lastName ?? null) === lastName) return undefined;
  return { emailKey: key, firstName, lastName };
}

function enrichProducts(event: CanonicalEvent, applied: string[], warnings: string[]): void {
  try {
    const products = normaliseProducts(event.products);
    event.products = products;
    const given: ProductDto | null = event.product === null ? null : normaliseProduct(event.product);
    if (given !== null && present(given.name)) {
      event.product = given;
      return;
    }
    const picked = pickProduct(products);
    event.product = picked === null ? given : { ...picked };
    if (picked !== null) applied.push(APPLIED.productSelected);
  } catch (error) {
    warnings.push(`product.failed: ${message(error)}`);
  }
}

/**
 * Enriches one canonical event; never throws and never does I/O (see README for the rules).
 * Every step is isolated: a failure leaves its fields as they were and adds a warning.
 */
export function enrichEvent(input: CanonicalEvent, deps: EnrichDeps): EnrichResult {
  const event: CanonicalEvent = { ...input, person: { ...input.person }, location: { ...input.location } };
  const applied: string[] = [];
  const warnings: string[] = [];

  enrichLocation(event, deps, applied, warnings);
  let learnedName: LearnedName | undefined;
  try {
    learnedName = enrichName(event, deps, applied, warnings);
  } catch (error) {
    warnings.push(`name.failed: ${message(error)}`);
  }
  enrichProducts(event, applied, warnings);

  // Warnings quote payload text; an address typed into any field must not leak through them.
  event.enrichment = { applied, warnings: warnings.map(redactEmails) };
  return learnedName === undefined ? { event } : { event, learnedName };
}
