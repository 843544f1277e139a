import { counter } from '@hookstream/platform';
import type { PlanResult } from '@hookstream/rules';

const events = counter<'matched'>({
  name: 'hookstream_automation_events_total',
  help: 'Events planned; matched = at least one subscription or rule applied',
  labelNames: ['matched'],
});
const matches = counter<'cause'>({
  name: 'hookstream_automation_matches_total',
  help: 'Delivery targets matched: cause = subscription (an endpoint subscribed to the event) or rule (an automation action)',
  labelNames: ['cause'],
});
const rules = counter<'result'>({
  name: 'hookstream_automation_rules_total',
  help: 'Automation rules whose trigger matched: fired, or suppressed by the loop guard',
  labelNames: ['result'],
});
const skippedActions = counter({ name: 'hookstream_automation_actions_skipped_total', help: 'Rule actions that could not be carried out (e.g. an endpoint of another account)' });
const produced = counter<'kind'>({
  name: 'hookstream_automation_produced_total',
  help: 'Messages produced and acknowledged: kind = delivery_request or contact_event',
  labelNames: ['kind'],
});
const skippedContactEvents = counter({
  name: 'hookstream_automation_contact_events_skipped_total',
  help: 'Contact events committed past unread: the pass that published them had already planned them with their cause',
});

export function countSkipped(n: number): void {
  skippedContactEvents.inc(n);
}

/** One round's counts, added to the counters once its messages are acknowledged. */
export class PlanTally {
  private matched = 0;
  private unmatched = 0;
  private bySubscription = 0;
  private byRule = 0;
  private fired = 0;
  private suppressed = 0;
  private skipped = 0;

  add(plan: PlanResult): void {
    if (plan.deliveries.length > 0 || plan.firedRules.length > 0) this.matched++;
    else this.unmatched++;
    for (const d of plan.deliveries) {
      if (d.cause === 'rule') this.byRule++;
      else this.bySubscription++;
    }
    this.fired += plan.firedRules.length;
    this.suppressed += plan.suppressedRules.length;
    this.skipped += plan.skipped.length;
  }

  flush(deliveryRequests: number, contactEvents: number): void {
    if (this.matched) events.inc({ matched: 'true' }, this.matched);
    if (this.unmatched) events.inc({ matched: 'false' }, this.unmatched);
    if (this.bySubscription) matches.inc({ cause: 'subscription' }, this.bySubscription);
    if (this.byRule) matches.inc({ cause: 'rule' }, this.byRule);
    if (this.fired) rules.inc({ result: 'fired' }, this.fired);
    if (this.suppressed) rules.inc({ result: 'suppressed' }, this.suppressed);
    if (this.skipped) skippedActions.inc(this.skipped);
    if (deliveryRequests) produced.inc({ kind: 'delivery_request' }, deliveryRequests);
    if (contactEvents) produced.inc({ kind: 'contact_event' }, contactEvents);
  }
}
