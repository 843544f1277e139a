import { BODY_PARSERS, mediaTypeOf } from './body-parsers';
import { GatewayError } from './gateway.errors';

// Fastify's own Content-Type parser: the webhook routes must pick exactly what it picks.
const FastifyContentType = require('fastify/lib/content-type') as new (header: string | undefined) => { isValid: boolean; mediaType: string };

describe('mediaTypeOf', () => {
  const headers = [
    undefined, '', 'undefined', 'json', 'application/json', 'APPLICATION/JSON', ' application/json ', 'application/json; charset=utf-8',
    'Application/JSON ; charset=UTF-8', 'application/json;', 'application/jsonx', 'application/json/x', 'application /json', 'application/ json',
    '/json', 'application/', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded;charset=utf-8', 'text/plain', 'a/b; c',
    'application/json, text/plain', 'application/json\t', '\tapplication/json', 'application/js(on', ';application/json',
  ];
  it.each(headers.map((h) => [JSON.stringify(h), h]))('agrees with Fastify 5 for %s', (_name, h) => {
    const ct = new FastifyContentType(h);
    expect(mediaTypeOf(h)).toBe(ct.isValid ? ct.mediaType : undefined);
  });

  it('lower-cases and drops parameters', () => {
    expect(mediaTypeOf('Application/JSON; charset=utf-8')).toBe('application/json');
    expect(mediaTypeOf('nonsense')).toBeUndefined();
  });
});

describe('BODY_PARSERS', () => {
  const json = BODY_PARSERS.get('application/json')!;
  const form = BODY_PARSERS.get('application/x-www-form-urlencoded')!;
  const failure = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return e instanceof GatewayError ? { status: e.status, code: e.code, message: e.message } : e;
    }
    throw new Error('did not throw');
  };

  it('parses JSON and form bodies', () => {
    expect(json(Buffer.from('{"a":[1,"é"]}'))).toEqual({ a: [1, 'é'] });
    expect(form(Buffer.from('a=1&b[c]=x%20y'))).toEqual({ a: '1', b: { c: 'x y' } });
  });

  it('empty or broken JSON is 400 invalid_json with the reason', () => {
    expect(failure(() => json(Buffer.alloc(0)))).toEqual({ status: 400, code: 'invalid_json', message: 'The JSON body is empty.' });
    expect(failure(() => json(Buffer.from('{"a":')))).toEqual({ status: 400, code: 'invalid_json', message: 'The body is not valid JSON: Unexpected end of JSON input' });
  });

  it('takes no other type', () => {
    expect([...BODY_PARSERS.keys()]).toEqual(['application/json', 'application/x-www-form-urlencoded']);
  });
});
