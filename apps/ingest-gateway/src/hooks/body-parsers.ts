import { parseFormBody } from '@hookstream/dialects';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError, GatewayErrorCode } from './gateway.errors';

/**
 * JSON and form bodies, parsed from the raw bytes (kept for signature verification). Anything else
 * is answered 415 by Fastify. Form bodies use bracket keys (`contact[fields][x]`) with pollution-safe parsing.
 */
export function registerBodyParsers(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (req: FastifyRequest & { rawBody?: Buffer }, body: Buffer, done) => {
    req.rawBody = body;
    if (body.length === 0) return done(new GatewayError(400, GatewayErrorCode.InvalidJson, 'The JSON body is empty.'), undefined);
    try {
      done(null, JSON.parse(body.toString('utf8')));
    } catch (err) {
      done(new GatewayError(400, GatewayErrorCode.InvalidJson, `The body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`), undefined);
    }
  });
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit }, (req: FastifyRequest & { rawBody?: Buffer }, body: Buffer, done) => {
    req.rawBody = body;
    try {
      done(null, parseFormBody(body.toString('utf8')));
    } catch (err) {
      done(new GatewayError(400, GatewayErrorCode.InvalidForm, `The form body could not be read: ${err instanceof Error ? err.message : String(err)}`), undefined);
    }
  });
}
