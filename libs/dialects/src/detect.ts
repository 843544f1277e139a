import type { Dialect } from '@hookstream/contracts';
import { activecampaignDialect } from './activecampaign.dialect';
import { activlyDialect } from './activly.dialect';
import type { DialectHandler } from './dialect';
import { genericDialect } from './generic.dialect';
import { provesourceDialect } from './provesource.dialect';

/**
 * Every dialect, most specific first. The order breaks ties in detection, so a payload that fits
 * two dialects equally goes to the one with the stricter signature.
 */
export const DIALECT_HANDLERS: readonly DialectHandler[] = [activecampaignDialect, activlyDialect, provesourceDialect, genericDialect];

export function dialectHandler(name: Dialect): DialectHandler {
  const handler = DIALECT_HANDLERS.find((d) => d.name === name);
  if (handler === undefined) throw new Error(`unknown dialect ${name}`);
  return handler;
}

export interface Detection {
  dialect: Dialect;
  confidence: number;
}

/**
 * The dialect that scores highest for this body (see each dialect's `detect` and the README);
 * ties go to the earlier entry of DIALECT_HANDLERS. Generic is the floor: any object is at least
 * generic (0.1), and a body that is not an object is reported as generic with confidence 0.
 */
export function detectDialect(body: unknown, contentType?: string): Detection {
  let best: Detection = { dialect: 'generic', confidence: 0 };
  for (const handler of DIALECT_HANDLERS) {
    const confidence = handler.detect(body, contentType);
    if (confidence > best.confidence) best = { dialect: handler.name, confidence };
  }
  return best;
}
