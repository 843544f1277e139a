export {
  configureNameCache,
  countryCodeFromName,
  countryNameFromCode,
  DEFAULT_NAME_CACHE_BYTES,
  MIN_NAME_CACHE_BYTES,
  nameCacheStats,
  type NameCacheStats,
  normaliseName,
  parseCountryCode,
  resolveLocation,
  subdivisionFromCode,
  subdivisionFromName,
  type LocationResolution,
  type Subdivision,
} from './countries';
export {
  APPLIED,
  enrichEvent,
  type EnrichDeps,
  type EnrichResult,
  type GeoLocator,
  type KnownName,
  type LearnedName,
} from './enrich';
export {
  classifyIp,
  GeoIpLookup,
  locationFromRecord,
  SHIPPED_GEO_PACKAGE,
  type GeoDatabaseInfo,
  type GeoIpOpenOptions,
  type GeoLocation,
  type GeoOutcome,
  type IpClass,
} from './geoip';
export { capitaliseName, emailKey, nameFromEmail, normaliseEmail, redactEmails, type EmailName } from './names';
export { normaliseProduct, normaliseProducts, pickProduct, toNumber } from './products';
