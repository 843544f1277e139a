import type { AutomationSnapshot, CanonicalEvent } from '@hookstream/contracts';

export const DEFAULT_MAX_CAUSATION_DEPTH = 5;

export interface LoopGuardOptions {
  maxDepth?: number;
}

/**
 * Whether `rule` may run for `event`. Events produced by automation effects carry
 * `causationDepth` (0 or absent for external events) and `causedByRule`; a chain of rules
 * stops once the depth reaches maxDepth, and a rule never runs on its own effect.
 */
export function canTrigger(
  rule: Pick<AutomationSnapshot, 'id'>,
  event: Pick<CanonicalEvent, 'causationDepth' | 'causedByRule'>,
  options: LoopGuardOptions = {},
): boolean {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_CAUSATION_DEPTH;
  if ((event.causationDepth ?? 0) >= maxDepth) return false;
  return event.causedByRule !== rule.id;
}
