/** What endpoint health needs to know; the projector's config class carries these variables. */
export interface EndpointHealthSettings {
  /** An endpoint whose deliveries have failed continuously for this many days is disabled. */
  ENDPOINT_DISABLE_AFTER_FAILING_DAYS: number;
  /** How often enabled endpoints are checked against that rule. */
  FEED_MAINTENANCE_INTERVAL_MS: number;
}

export const ENDPOINT_HEALTH_SETTINGS = Symbol('ENDPOINT_HEALTH_SETTINGS');
