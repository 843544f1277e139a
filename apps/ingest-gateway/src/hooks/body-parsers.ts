import { parseFormBody } from '@hookstream/dialects';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError, GatewayErrorCode } from './gateway.errors';
import { errorMessage } from '@hookstream/contracts';

/**
 * Parses the raw bytes of one body; throws a GatewayError (400) when they cannot be read.
 * `wrapperDepth` is the nesting the route itself adds (1 for a batch's array).
 */
export type BodyParser = (body: Buffer, wrapperDepth?: number) => unknown;

/**
 * Deepest nesting of objects/arrays an event may have. Every later stage walks events recursively
 * (JSON.stringify, the dedupe key's canonical JSON, rule filters); refused here, a deep body
 * gets a clear 400 instead of a RangeError (stack overflow) somewhere downstream.
 */
export const JSON_MAX_DEPTH = 32;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The nesting depth of a JSON text, from its bytes (strings skipped), stopping early past `max`. */
export function jsonDepthExceeds(body: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

function parseJson(body: Buffer, wrapperDepth = 0): unknown {
  if (body.length === 0) throw new GatewayError(400, GatewayErrorCode.InvalidJson, 'The JSON body is empty.');
  if (jsonDepthExceeds(body, JSON_MAX_DEPTH + wrapperDepth)) {
    throw new GatewayError(400, GatewayErrorCode.TooDeep, `The JSON body nests objects/arrays deeper than ${JSON_MAX_DEPTH} levels per event; flatten it.`);
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new GatewayError(400, GatewayErrorCode.InvalidJson, `The body is not valid JSON: ${errorMessage(err)}`);
  }
}

function parseForm(body: Buffer): unknown {
  try {
    return parseFormBody(body.toString('utf8'));
  } catch (err) {
    throw new GatewayError(400, GatewayErrorCode.InvalidForm, `The form body could not be read: ${errorMessage(err)}`);
  }
}

/** The only body types the gateway takes; everything else is 415. Form bodies use bracket keys with pollution-safe parsing. */
export const BODY_PARSERS: ReadonlyMap<string, BodyParser> = new Map([
  ['application/json', parseJson],
  ['application/x-www-form-urlencoded', parseForm],
]);

const TYPE_NAME = /^[\w!#$%&'*+.^`|~-]+$/;
const SUBTYPE_NAME = /^[\w!#$%&'*+.^`|~-]+\s*$/;

/**
 * The lower-cased `type/subtype` of a Content-Type header, or undefined when Fastify would call
 * the header invalid. Mirrors Fastify 5's `ContentType` (lib/content-type.js) — parameters never
 * decide validity or the parser — so the webhook routes, which read bodies themselves, pick the
 * same parser (or answer the same 415) as Fastify does for every other route.
 */
export function mediaTypeOf(header: string | undefined): string | undefined {
  if (header === undefined || header === '' || header === 'undefined') return undefined;
  const semi = header.indexOf(';');
  const media = semi === -1 ? header : header.slice(0, semi);
  const slash = media.indexOf('/');
  if (slash === -1) return undefined;
  const type = media.slice(0, slash).trimStart().toLowerCase();
  const subtype = media.slice(slash + 1).trimEnd().toLowerCase();
  return TYPE_NAME.test(type) && SUBTYPE_NAME.test(subtype) ? `${type}/${subtype}` : undefined;
}

/**
 * JSON and form bodies for the routes Nest serves (the webhook routes read their bodies in
 * hooks.http.ts with the same parsers): parsed from the raw bytes, which are kept on
 * `request.rawBody`. Anything else is answered 415 by Fastify.
 */
export function registerBodyParsers(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeAllContentTypeParsers();
  for (const [type, parse] of BODY_PARSERS) {
    fastify.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit }, (req: FastifyRequest & { rawBody?: Buffer }, body: Buffer, done) => {
      req.rawBody = body;
      let parsed: unknown;
      try {
        parsed = parse(body);
      } catch (err) {
        done(err as Error, undefined);
        return;
      }
      done(null, parsed);
    });
  }
}
