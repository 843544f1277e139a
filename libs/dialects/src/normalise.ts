import type { Dialect, RawEventDto, ValidationReason } from '@hookstream/contracts';
import { detectDialect, dialectHandler, type Detection } from './detect';
import type { NormalisedEvent } from './dialect';

export type NormaliseResult =
  | { ok: true; event: NormalisedEvent; dialect: Dialect; detection: Detection | null }
  | { ok: false; reasons: ValidationReason[]; dialect: Dialect; detection: Detection | null };

/**
 * Raw event → canonical event (or every reason it cannot be one), in the source's pinned dialect or,
 * for `auto`, the detected one. `detection` is set only when the dialect was detected; the chosen
 * dialect is always recorded in `event.dialect`.
 */
export function normaliseRaw(raw: RawEventDto): NormaliseResult {
  const detection = raw.dialect === 'auto' ? detectDialect(raw.body, raw.contentType) : null;
  const dialect: Dialect = detection?.dialect ?? (raw.dialect === 'auto' ? 'generic' : raw.dialect);
  const result = dialectHandler(dialect).normalise(raw);
  return result.ok ? { ok: true, event: result.event, dialect, detection } : { ok: false, reasons: result.reasons, dialect, detection };
}
