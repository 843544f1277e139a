// API shapes as the dashboard reads them (apps/control-api README and the feed contract).
// Kept here rather than imported from @hookstream/contracts: those are Node-side DTO classes.

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface Account {
  id: string;
  name: string;
}

export type Dialect = 'activly' | 'provesource' | 'activecampaign' | 'generic' | 'auto';
export const DIALECTS: Dialect[] = ['auto', 'activly', 'provesource', 'activecampaign', 'generic'];

export interface Source {
  id: string;
  name: string;
  dialect: Dialect;
  enabled: boolean;
  url: string;
  tokens: { id: string; createdAt: string; expiresAt: string | null }[];
  createdAt: string;
}

export interface SourceWithToken {
  source: Source;
  token: string;
  url: string;
}

export interface Endpoint {
  id: string;
  url: string;
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  eventTypes: string[];
  format: 'json' | 'form';
  createdAt: string;
}

export interface UrlWarning {
  field: 'url';
  code: 'resolves_to_refused_address' | 'does_not_resolve';
  message: string;
}

export interface EndpointWithSecret {
  endpoint: Endpoint;
  secret: string;
  /** Save-time warnings about the URL's host name (saved anyway). */
  warnings?: UrlWarning[];
}

export interface EndpointHealth {
  enabled: boolean;
  disabledReason: string | null;
  last24h: { attempts: number; succeeded: number; failed: number };
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  failingSince: string | null;
}

export interface SampleResult {
  outcome: string;
  httpStatus: number | null;
  latencyMs: number | null;
  error: string | null;
}

export type ActionType = 'webhook' | 'add_tag' | 'remove_tag' | 'add_to_list' | 'remove_from_list';
export type AutomationAction = { type: ActionType; endpointId?: string; tag?: string; listId?: string };

export interface Automation {
  id: string;
  name: string;
  enabled: boolean;
  trigger: { eventTypes: string[]; sourceIds: string[] | null };
  actions: AutomationAction[];
  createdAt: string;
}

export type EventStatus = 'received' | 'accepted' | 'rejected' | 'duplicate';
export const EVENT_STATUSES: EventStatus[] = ['received', 'accepted', 'rejected', 'duplicate'];

export interface EventSummary {
  id: string;
  status: EventStatus;
  type: string | null;
  sourceId: string;
  receivedAt: string;
  occurredAt: string | null;
  dialect: string | null;
  person: { firstName: string | null; lastName: string | null; emailMasked: string | null } | null;
  location: { city: string | null; country: string | null; countryCode: string | null } | null;
  product: { name: string | null } | null;
  amount: number | null;
  currency: string | null;
  reasons: number;
  duplicateOf: string | null;
  deliveries: { total: number; succeeded: number; failed: number } | null;
}

export interface Attempt {
  attempt: number;
  outcome: string;
  httpStatus: number | null;
  latencyMs: number | null;
  error: string | null;
  attemptedAt: string;
  responseBody?: string | null;
}

export interface DeliveryDetail {
  id: string;
  eventId?: string;
  endpointId: string;
  endpointUrl?: string;
  status: string;
  attempts: number | Attempt[];
  lastHttpStatus?: number | null;
  lastError?: string | null;
  nextAttemptAt?: string | null;
  createdAt?: string;
  attemptLog?: Attempt[];
}

export interface ValidationReason {
  path: string;
  rule: string;
  message: string;
  value?: string;
}

export interface EventDetail {
  summary: EventSummary;
  raw: { contentType?: string; headers?: Record<string, string>; body?: unknown; receivedAt?: string; clientIp?: string } | null;
  canonical: Record<string, unknown> | null;
  enrichment: { applied: string[]; warnings: string[] } | null;
  rejection: { reasons: ValidationReason[] } | null;
  duplicate: { originalEventId: string; dedupeKey: string } | null;
  deliveries: DeliveryDetail[];
}

export type DlqState = 'pending' | 'replayed' | 'discarded';

/** A recorded dead letter (GET /v1/dlq/messages; admin-scoped keys only). */
export interface DlqMessage {
  id: string;
  dlq: { topic: string; partition: number; offset: string };
  topic: string;
  group: string | null;
  error: string | null;
  attempts: number | null;
  failedAt: string | null;
  key: string | null;
  state: DlqState;
  handledAt: string | null;
  handledBy: string | null;
  reason: string | null;
  replayedTo: string | null;
  recordedAt: string;
}

/** The dry-run verdict (the gateway's `?dry_run=true` check) of a test event, given with its id. */
export interface TestEventSent {
  id: string;
  verdict: { valid: boolean; dialect: string; type?: string | null; reasons?: { path: string; rule: string; message: string }[] };
}

export function verdictText(v: TestEventSent['verdict']): string {
  return v.valid
    ? `dry run: valid (${v.dialect}${v.type ? `, ${v.type}` : ''})`
    : `dry run: invalid (${v.dialect}): ${(v.reasons ?? []).map((r) => (r.path ? `${r.path}: ${r.message}` : r.message)).join('; ')}`;
}

/** `/v1/stats/*` answers (control-api src/stats/stats.dto.ts): one value per bucket of the grid. */
export interface StatsGrid {
  from: string;
  to: string;
  bucketSeconds: number;
  buckets: string[];
}
export interface CountStats extends StatsGrid {
  series: { key: string; total: number; counts: number[] }[];
}
export interface LatencyStats extends StatsGrid {
  endpoints: { endpointId: string; url: string; attempts: number; p50: number; p99: number; p50s: (number | null)[]; p99s: (number | null)[] }[];
}
