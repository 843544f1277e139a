import { counter } from '@hookstream/platform';

/** Keeps a label value inside a small, known alphabet (rule names are code identifiers). */
export function boundedLabel(value: string | undefined, fallback = 'other'): string {
  return value && /^[A-Za-z][A-Za-z0-9_.]{0,39}$/.test(value) ? value : fallback;
}

const verdicts = counter<'verdict' | 'reason'>({
  name: 'hookstream_validator_verdicts_total',
  help: 'Events judged: valid, rejected (reason = the first failed rule, e.g. isNotEmpty) or duplicate (reason = what matched)',
  labelNames: ['verdict', 'reason'],
});
const dedupeHits = counter<'kind'>({
  name: 'hookstream_validator_dedupe_hits_total',
  help: 'Duplicates found, by the kind of key that matched: idempotency_key, provider_id, content, window',
  labelNames: ['kind'],
});

const KEY_KINDS: Record<string, string> = { idem: 'idempotency_key', pid: 'provider_id', sha256: 'content', win: 'window' };

/** The kind of a dedupe key, from its prefix (`idem:`, `pid:`, `sha256:`, `win:`). */
export function dedupeKind(key: string): string {
  return KEY_KINDS[key.slice(0, key.indexOf(':'))] ?? 'other';
}

/** Counts one batch's verdicts with one increment per label set. */
export class VerdictTally {
  private readonly counts = new Map<string, number>();
  private readonly kinds = new Map<string, number>();

  valid(): void {
    this.add('valid\u0000', 1);
  }
  rejected(rule: string | undefined): void {
    this.add(`rejected\u0000${boundedLabel(rule)}`, 1);
  }
  duplicate(key: string): void {
    const kind = dedupeKind(key);
    this.add(`duplicate\u0000${kind}`, 1);
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
  }
  private add(k: string, n: number): void {
    this.counts.set(k, (this.counts.get(k) ?? 0) + n);
  }

  flush(): void {
    for (const [k, n] of this.counts) {
      const [verdict, reason] = k.split('\u0000');
      verdicts.inc({ verdict, reason }, n);
    }
    for (const [kind, n] of this.kinds) dedupeHits.inc({ kind }, n);
  }
}
