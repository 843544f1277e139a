import { counter } from '@hookstream/platform';

const lookups = counter<'lookup' | 'result'>({
  name: 'hookstream_enricher_lookups_total',
  help: 'Enrichment steps per event: hit = the step filled something (lookup = location.geoip, location.lookup, name.history, name.email, product.selected); miss = the step could not (lookup = its warning code, e.g. geoip.not_found, name.unresolved)',
  labelNames: ['lookup', 'result'],
});

/** A warning's code (`name.unresolved: …` → `name.unresolved`), or `other` for anything unexpected. */
export function warningCode(warning: string): string {
  const code = warning.slice(0, warning.indexOf(':'));
  return /^[a-z][a-z_]{0,19}\.[a-z_]{1,30}$/.test(code) ? code : 'other';
}

/** Counts one batch's enrichment steps with one increment per label set. */
export class LookupTally {
  private readonly hits = new Map<string, number>();
  private readonly misses = new Map<string, number>();

  add(enrichment: { applied: string[]; warnings: string[] } | undefined): void {
    if (!enrichment) return;
    for (const a of enrichment.applied) this.hits.set(a, (this.hits.get(a) ?? 0) + 1);
    for (const w of enrichment.warnings) {
      const code = warningCode(w);
      this.misses.set(code, (this.misses.get(code) ?? 0) + 1);
    }
  }

  flush(): void {
    for (const [lookup, n] of this.hits) lookups.inc({ lookup, result: 'hit' }, n);
    for (const [lookup, n] of this.misses) lookups.inc({ lookup, result: 'miss' }, n);
  }
}
