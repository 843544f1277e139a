import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AllowList } from '@hookstream/webhooks';
import { OutboundClient, type OutboundClientOptions } from './outbound-client';
import type { Resolver } from './safe-lookup';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function receiver(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      handler(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, received };
}

const LOCAL_ONLY = AllowList.parse('127.0.0.1/32');

function client(overrides: Partial<OutboundClientOptions> = {}): OutboundClient {
  return new OutboundClient({
    policy: { allowHttp: true, allowedPorts: 'any' },
    allowList: LOCAL_ONLY,
    connectTimeoutMs: 1000,
    timeoutMs: 2000,
    ...overrides,
  });
}

describe('OutboundClient', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (closers.length) await (closers.pop() as () => Promise<void>)();
  });
  function track(c: OutboundClient, s?: Server): OutboundClient {
    closers.push(() => c.close());
    if (s) closers.push(() => new Promise<void>((r) => s.close(() => r())));
    return c;
  }

  it('posts the body with the given headers and keeps status, chosen headers and the first 4 KiB', async () => {
    const rx = await receiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-secret-cookie': 'no', 'retry-after': '3' });
      res.end('x'.repeat(10_000));
    });
    const c = track(client(), rx.server);
    const r = await c.post({ url: `http://127.0.0.1:${rx.port}/hook?a=1`, headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(r.kind).toBe('response');
    if (r.kind !== 'response') return;
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(4096);
    expect(r.headers['content-type']).toBe('text/plain');
    expect(r.headers['retry-after']).toBe('3');
    expect(r.headers['x-secret-cookie']).toBeUndefined();
    expect(rx.received).toHaveLength(1);
    expect(rx.received[0]).toMatchObject({ method: 'POST', url: '/hook?a=1', body: '{"a":1}' });
    expect(rx.received[0].headers['user-agent']).toBe('Hookstream-Webhooks/0.1');
  });

  it('does not follow a redirect (to a private address or anywhere): a 3xx is the answer', async () => {
    const rx = await receiver((_req, res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
    });
    const c = track(client(), rx.server);
    const r = await c.post({ url: `http://127.0.0.1:${rx.port}/`, headers: {}, body: '' });
    expect(r).toMatchObject({ kind: 'response', status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } });
    expect(rx.received).toHaveLength(1);
  });

  it.each([
    ['http://[::ffff:7f00:1]/', 'IPv4-mapped loopback'],
    ['http://169.254.169.254/latest/meta-data/', 'cloud metadata'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://[2002:a9fe:a9fe::1]/', '6to4 of 169.254.169.254'],
    ['http://10.0.0.1/', 'RFC 1918'],
    ['http://[::1]/', 'IPv6 loopback'],
    ['http://0x7f.1/', 'short hex loopback'],
  ])('refuses the literal address %s (%s) without connecting', async (url) => {
    const c = track(client({ allowList: AllowList.empty }));
    const r = await c.post({ url, headers: {}, body: '' });
    expect(r).toMatchObject({ kind: 'error', error: 'refused' });
  });

  it('refuses a host name that resolves to 127.0.0.1 and sends nothing', async () => {
    const rx = await receiver((_req, res) => res.end('ok'));
    const c = track(client({ allowList: AllowList.empty }), rx.server);
    const r = await c.post({ url: `http://localhost:${rx.port}/`, headers: {}, body: '' });
    expect(r).toMatchObject({ kind: 'error', error: 'refused' });
    if (r.kind === 'error') expect(r.message).toMatch(/127\.0\.0\.1.*loopback/);
    expect(rx.received).toHaveLength(0);
  });

  it('refuses a name when any one of its answers is internal', async () => {
    const resolve: Resolver = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    const rx = await receiver((_req, res) => res.end('ok'));
    const c = track(client({ allowList: AllowList.empty, resolve }), rx.server);
    const r = await c.post({ url: `http://mixed.example:${rx.port}/`, headers: {}, body: '' });
    expect(r).toMatchObject({ kind: 'error', error: 'refused' });
    expect(rx.received).toHaveLength(0);
  });

  it('refuses, without opening a connection, a name whose DNS answers include any refused address (mixed public and private, any order, v4 or v6)', async () => {
    const cases: { name: string; answers: { address: string; family: number }[] }[] = [
      { name: 'public-then-private', answers: [{ address: '93.184.215.14', family: 4 }, { address: '10.0.0.5', family: 4 }] },
      { name: 'private-then-public', answers: [{ address: '192.168.1.20', family: 4 }, { address: '93.184.215.14', family: 4 }] },
      { name: 'public-v4-and-ula-v6', answers: [{ address: '93.184.215.14', family: 4 }, { address: 'fd00::1', family: 6 }] },
      { name: 'public-v6-and-metadata', answers: [{ address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 }, { address: '169.254.169.254', family: 4 }] },
      { name: 'public-and-mapped-loopback', answers: [{ address: '93.184.215.14', family: 4 }, { address: '::ffff:127.0.0.1', family: 6 }] },
      { name: 'only-loopback', answers: [{ address: '127.0.0.1', family: 4 }] },
    ];
    for (const c of cases) {
      // Every answer is pointed at a real local listener that counts connections: a connection to
      // any of them (or anywhere) would show up here.
      let connections = 0;
      const rx = await receiver((_req, res) => res.end('ok'));
      rx.server.on('connection', () => connections++);
      const resolve: Resolver = async () => c.answers;
      const cl = track(client({ allowList: AllowList.empty, resolve }), rx.server);
      const r = await cl.post({ url: `http://${c.name}.example:${rx.port}/`, headers: {}, body: 'x' });
      expect({ name: c.name, kind: r.kind, error: r.kind === 'error' ? r.error : undefined }).toEqual({ name: c.name, kind: 'error', error: 'refused' });
      if (r.kind === 'error') for (const a of c.answers.filter((x) => !/^(93\.|2606:)/.test(x.address))) expect(r.message).toContain(a.address);
      expect({ name: c.name, connections, received: rx.received.length }).toEqual({ name: c.name, connections: 0, received: 0 });
    }
  });

  it('connects to the address it vetted, keeping the host name in the request', async () => {
    const calls: string[] = [];
    const resolve: Resolver = async (host) => {
      calls.push(host);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const rx = await receiver((_req, res) => res.end('ok'));
    const c = track(client({ resolve }), rx.server);
    const r = await c.post({ url: `http://receiver.invalid:${rx.port}/x`, headers: {}, body: 'hi' });
    expect(r).toMatchObject({ kind: 'response', status: 200, body: 'ok' });
    expect(rx.received[0].headers.host).toBe(`receiver.invalid:${rx.port}`);
    // One resolution, by us: nothing else looked the name up again between check and connect.
    expect(calls).toEqual(['receiver.invalid']);
  });

  it('classifies a URL once but checks a host name\'s DNS answers again on every new connection', async () => {
    let answer = '127.0.0.1';
    const calls: string[] = [];
    const resolve: Resolver = async (host) => {
      calls.push(host);
      return [{ address: answer, family: 4 }];
    };
    // The receiver closes every connection, so each send opens (and vets) a new one.
    const rx = await receiver((_req, res) => res.writeHead(200, { connection: 'close' }).end('ok'));
    const c = track(client({ resolve }), rx.server);
    const url = `http://rebinding.invalid:${rx.port}/x?y=1`;
    await expect(c.post({ url, headers: {}, body: '1' })).resolves.toMatchObject({ kind: 'response', status: 200 });
    answer = '10.0.0.5'; // the name now points at an internal address: refused although the URL is remembered
    await expect(c.post({ url, headers: {}, body: '2' })).resolves.toMatchObject({ kind: 'error', error: 'refused' });
    expect(calls).toEqual(['rebinding.invalid', 'rebinding.invalid']);
    expect(rx.received.map((r) => r.url)).toEqual(['/x?y=1']);
    // A URL the policy refuses stays refused on every send.
    const strict = track(client({ policy: { allowHttp: false, allowedPorts: 'any' } }));
    for (let i = 0; i < 3; i++) expect(strict.refusal(`http://127.0.0.1:${rx.port}/`)).toMatch(/^refused: /);
  });

  it('applies the URL policy: http and ports are refused unless allowed', async () => {
    const c = track(client({ policy: { allowHttp: false, allowedPorts: [443] } }));
    await expect(c.post({ url: 'http://127.0.0.1/', headers: {}, body: '' })).resolves.toMatchObject({ kind: 'error', error: 'refused' });
    await expect(c.post({ url: 'https://127.0.0.1:8443/', headers: {}, body: '' })).resolves.toMatchObject({ kind: 'error', error: 'refused' });
  });

  it.each<[string, (req: IncomingMessage, res: ServerResponse) => void]>([
    ['a receiver that never answers', () => undefined],
    [
      'a body still trickling in (the headers came in time)',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first part');
      },
    ],
  ])('gives up on %s when the total timeout ends', async (_name, handler) => {
    const rx = await receiver(handler);
    const c = track(client({ timeoutMs: 300 }), rx.server);
    closers.unshift(async () => {
      rx.server.closeAllConnections();
    });
    const r = await c.post({ url: `http://127.0.0.1:${rx.port}/`, headers: {}, body: '' });
    expect(r).toMatchObject({ kind: 'error', error: 'timeout' });
    if (r.kind === 'error') expect(r.latencyMs).toBeGreaterThanOrEqual(250);
  });

  it('keeps the answer of a body past 64 KiB and drops its connection instead of reading on', async () => {
    const sockets: Socket[] = [];
    const rx = await receiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // 1 MiB in 64 KiB chunks: far more than is read before the connection is dropped.
      const chunk = 'y'.repeat(64 * 1024);
      let left = 16;
      const more = (): void => {
        while (left > 0) {
          left--;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      res.on('error', () => undefined);
      more();
    });
    rx.server.on('connection', (s: Socket) => sockets.push(s));
    const c = track(client(), rx.server);
    const r = await c.post({ url: `http://127.0.0.1:${rx.port}/big`, headers: {}, body: '1' });
    expect(r).toMatchObject({ kind: 'response', status: 200 });
    if (r.kind === 'response') expect(r.body).toBe('y'.repeat(4096));
    // The client closed the connection mid-body (kept alive, it would stay open and this would time out).
    expect(sockets).toHaveLength(1);
    await new Promise<void>((resolve) => (sockets[0].destroyed ? resolve() : sockets[0].once('close', () => resolve())));
    expect(rx.received).toHaveLength(1);
  });

  it('skips an informational 1xx answer and reports the final one', async () => {
    const rx = await receiver((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload' });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    const c = track(client(), rx.server);
    const r = await c.post({ url: `http://127.0.0.1:${rx.port}/`, headers: {}, body: '' });
    expect(r).toMatchObject({ kind: 'response', status: 201, body: '{"ok":true}', headers: { 'content-type': 'application/json' } });
  });

  it('keeps a connection alive across sends that read the whole answer', async () => {
    let connections = 0;
    const rx = await receiver((_req, res) => res.end('ok'));
    rx.server.on('connection', () => connections++);
    const c = track(client(), rx.server);
    for (let i = 0; i < 6; i++) await expect(c.post({ url: `http://127.0.0.1:${rx.port}/`, headers: {}, body: String(i) })).resolves.toMatchObject({ kind: 'response', status: 200, body: 'ok' });
    // undici may open a second connection while the first is still finishing its last answer;
    // what matters is that connections are reused rather than opened per send.
    expect(connections).toBeLessThanOrEqual(2);
  });

  it('reports a refused connection as a connection error', async () => {
    const rx = await receiver(() => undefined);
    const port = rx.port;
    await new Promise<void>((r) => rx.server.close(() => r()));
    const c = track(client());
    const r = await c.post({ url: `http://127.0.0.1:${port}/`, headers: {}, body: '' });
    expect(r).toMatchObject({ kind: 'error', error: 'connection' });
  });
});
