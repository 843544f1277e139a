import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { GatewayError } from './gateway.errors';
import { readBody } from './hooks.http';

function fakeRequest(headers: Record<string, string>): PassThrough & { headers: Record<string, string> } {
  return Object.assign(new PassThrough(), { headers });
}

async function outcome(p: Promise<Buffer>): Promise<unknown> {
  try {
    return (await p).toString();
  } catch (e) {
    return e instanceof GatewayError ? `${e.status} ${e.code}: ${e.message}` : e;
  }
}

describe('readBody', () => {
  it('joins the chunks of a body within the limit', async () => {
    const req = fakeRequest({});
    const p = readBody(req as unknown as IncomingMessage, 10);
    req.write('abc');
    req.end('defgh');
    expect(await outcome(p)).toBe('abcdefgh');
  });

  it('a body of exactly the limit is read', async () => {
    const req = fakeRequest({ 'content-length': '4' });
    const p = readBody(req as unknown as IncomingMessage, 4);
    req.end('abcd');
    expect(await outcome(p)).toBe('abcd');
  });

  it('refuses a Content-Length over the limit without reading', async () => {
    const req = fakeRequest({ 'content-length': '11' });
    expect(await outcome(readBody(req as unknown as IncomingMessage, 10))).toBe('413 payload_too_large: The request body exceeds the size limit.');
    expect(req.listenerCount('data')).toBe(0);
  });

  it('stops reading at the first chunk past the limit', async () => {
    const req = fakeRequest({});
    const p = readBody(req as unknown as IncomingMessage, 5);
    req.write('abc');
    req.write('def');
    expect(await outcome(p)).toBe('413 payload_too_large: The request body exceeds the size limit.');
    expect(req.listenerCount('data')).toBe(0);
    expect(req.listenerCount('end')).toBe(0);
  });

  it('a body shorter than its Content-Length is 400 invalid_body', async () => {
    const req = fakeRequest({ 'content-length': '9' });
    const p = readBody(req as unknown as IncomingMessage, 10);
    req.end('abc');
    expect(await outcome(p)).toBe('400 invalid_body: Request body size did not match Content-Length');
  });

  it('a stream error is passed on with status 400', async () => {
    const req = fakeRequest({});
    const p = readBody(req as unknown as IncomingMessage, 10);
    req.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    const err = (await outcome(p)) as Error & { statusCode?: number };
    expect(err.message).toBe('aborted');
    expect(err.statusCode).toBe(400);
  });
});
