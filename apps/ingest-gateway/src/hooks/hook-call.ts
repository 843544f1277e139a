import type { SourceSnapshot } from '@hookstream/contracts';
import { mediaTypeOf } from './body-parsers';

/** `POST /v1/hooks/:sourceId` takes one event; `…/batch` an array of them. */
export type HookKind = 'single' | 'batch';

export type HookHeaders = Record<string, string | string[] | undefined>;

/**
 * One webhook request, the one shape every step after the routes works on (auth, signature,
 * limits, the raw events): read from the URL and headers once, then given its body once read.
 */
export interface HookCall {
  kind: HookKind;
  sourceId: string;
  /** `?token=`, else the `Authorization: Bearer` token; undefined when neither was given. */
  token: string | undefined;
  /** `?dry_run=true` (or `1`): validate and answer, publish nothing. */
  dryRun: boolean;
  headers: HookHeaders;
  /** The body's media type (`type/subtype`, lower case), parsed once; '' when the request has none or an invalid one. */
  mediaType: string;
  /** The bytes as received (signatures are over these); empty until the body is read, or when there is none. */
  rawBody: Buffer;
  /** The parsed body; undefined until it is read, or when there is none. */
  body: unknown;
  clientIp: string | null;
  /** The source, once the request is authenticated (before its body is read, on the hot path). */
  source?: SourceSnapshot;
  /** The source's dialect once known: the request metric's label. */
  dialect?: string;
}

const EMPTY = Buffer.alloc(0);

/**
 * The call for a request, from what its URL and headers say; the body comes later (`rawBody`,
 * `body`). Query parameters arrive as the query-string parser gave them: one given twice
 * (`?token=a&token=b`) is an array and counts as not given.
 */
export function newHookCall(req: {
  kind: HookKind;
  sourceId: string;
  query: { token?: unknown; dry_run?: unknown };
  headers: HookHeaders;
  clientIp: string | null;
}): HookCall {
  const dryRun = firstString(req.query.dry_run);
  return {
    kind: req.kind,
    sourceId: req.sourceId,
    token: firstString(req.query.token) ?? bearer(header(req.headers, 'authorization')),
    dryRun: dryRun === 'true' || dryRun === '1',
    headers: req.headers,
    mediaType: mediaTypeOf(header(req.headers, 'content-type')) ?? '',
    rawBody: EMPTY,
    body: undefined,
    clientIp: req.clientIp,
  };
}

/** A header's (first) value. */
export function header(headers: HookHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function bearer(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(value);
  return m ? m[1].trim() : undefined;
}

function firstString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
