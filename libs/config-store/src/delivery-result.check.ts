import { ATTEMPT_OUTCOMES, type AttemptOutcome, type DeliveryResultDto } from '@hookstream/contracts';

/** What endpoint health reads of a delivery result. */
export type HealthResult = Pick<DeliveryResultDto, 'endpointId' | 'accountId' | 'outcome' | 'attemptedAt'>;

const OUTCOMES: ReadonlySet<string> = new Set(ATTEMPT_OUTCOMES);
/** ISO 8601 with a zone, as delivery writes `attemptedAt` (Date#toISOString). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Just what the health fold relies on (endpoint, account, outcome, time); delivery validated the
 * rest when it wrote the result. A hand check instead of class-transformer + class-validator, which
 * were 13.5 % of the projector's CPU at fan-out 10 (bench/README.md). Returns the problems, none
 * when the result is usable.
 */
export function healthResultProblems(v: unknown): string[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return ['a delivery result must be a JSON object'];
  const r = v as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of ['endpointId', 'accountId'] as const) {
    if (typeof r[k] !== 'string' || r[k] === '') problems.push(`${k} must be a non-empty string`);
  }
  if (typeof r['outcome'] !== 'string' || !OUTCOMES.has(r['outcome'])) problems.push(`outcome must be one of ${ATTEMPT_OUTCOMES.join(', ')}`);
  const at = r['attemptedAt'];
  if (typeof at !== 'string' || !ISO_TIME.test(at) || Number.isNaN(Date.parse(at))) problems.push('attemptedAt must be an ISO 8601 time');
  return problems;
}

/** The fields the fold reads, once `healthResultProblems` found none. */
export function healthResultOf(v: Record<string, unknown>): HealthResult {
  return { endpointId: v['endpointId'] as string, accountId: v['accountId'] as string, outcome: v['outcome'] as AttemptOutcome, attemptedAt: v['attemptedAt'] as string };
}
