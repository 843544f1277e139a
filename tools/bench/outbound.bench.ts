/*
 * Delivery's HTTP client per webhook POST (issue 13): OutboundClient.post, which takes the answer
 * straight from undici's dispatch callbacks, against the way it used to read it — undici's
 * `request` API (a Readable body per response, an AbortSignal per request, the first 4 KiB read
 * through an async iterator). Both send the same signed-size JSON body over kept-alive
 * connections to a receiver in a child process (its CPU is not counted), CONCURRENCY requests in
 * flight; alternating sides, ROUNDS rounds after a warm-up; the fastest round of each is reported.
 *
 *   BENCH_SKIP_BUILD=1 npm run bench -- outbound
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'undici';
import { AllowList } from '@hookstream/webhooks';
import { OutboundClient, KEPT_BODY_BYTES, KEPT_RESPONSE_HEADERS } from '../../apps/delivery/src/outbound/outbound-client';
import { machineInfo } from './support/machine';

const ROOT = join(__dirname, '..', '..');
const N = Number(process.env['BENCH_OUTBOUND_REQUESTS'] ?? 30_000);
const CONCURRENCY = 50;
const ROUNDS = 5;

interface Answer {
  status: number;
  body: string;
}

function receiverMain(): void {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
}

/** What OutboundClient.post did before: undici's request API, its body read through the stream. */
function viaRequestApi(agent: Agent, origin: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<Answer> {
  return (async () => {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error('timeout')), timeoutMs);
    try {
      const res = await agent.request({ origin, path: '/hook', method: 'POST', headers, body, signal: abort.signal });
      const kept: Record<string, string> = {};
      for (const name of KEPT_RESPONSE_HEADERS) {
        const v = res.headers[name];
        if (v !== undefined) kept[name] = (Array.isArray(v) ? v.join(', ') : v).slice(0, 1000);
      }
      const parts: Buffer[] = [];
      let n = 0;
      for await (const chunk of res.body) {
        if (n < KEPT_BODY_BYTES) {
          const part = (chunk as Buffer).subarray(0, KEPT_BODY_BYTES - n);
          parts.push(part);
          n += part.length;
        }
      }
      return { status: res.statusCode, body: Buffer.concat(parts).toString('utf8') };
    } finally {
      clearTimeout(timer);
    }
  })();
}

async function cpuUsPer(send: () => Promise<Answer>): Promise<{ us: number; perSecond: number }> {
  let i = 0;
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (i++ < N) {
        const a = await send();
        if (a.status !== 200 || a.body !== '{}') throw new Error(`unexpected answer ${a.status} ${a.body}`);
      }
    }),
  );
  const u = process.cpuUsage(u0);
  return { us: (u.user + u.system) / N, perSecond: Math.round(N / ((performance.now() - t0) / 1000)) };
}

async function main(): Promise<void> {
  const child = fork(__filename, ['receiver'], { execArgv: process.execArgv });
  try {
    const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(Number(m))));
    const origin = `http://127.0.0.1:${port}`;
    const timeoutMs = 10_000;
    const client = new OutboundClient({ policy: { allowHttp: true, allowedPorts: 'any' }, allowList: AllowList.parse('127.0.0.1/32'), connectTimeoutMs: 1000, timeoutMs });
    const agent = new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    // A delivery's body and headers: ~1 KB of JSON, the three standard-webhooks headers.
    const body = JSON.stringify({ type: 'purchase', timestamp: new Date().toISOString(), data: { id: 'evt_0mabc0000000000000000000', attributes: { note: 'x'.repeat(900) } } });
    const headers = { 'content-type': 'application/json', 'webhook-id': 'msg_0mabc0000000000000000000', 'webhook-timestamp': '1767225600', 'webhook-signature': `v1,${'A'.repeat(44)}` };
    const requestApi = () => viaRequestApi(agent, origin, { 'user-agent': 'Hookstream-Webhooks/0.1', ...headers }, body, timeoutMs);
    const dispatch = async (): Promise<Answer> => {
      const r = await client.post({ url: `${origin}/hook`, headers, body });
      if (r.kind !== 'response') throw new Error(`${r.error}: ${r.message}`);
      return r;
    };
    const before: { us: number; perSecond: number }[] = [];
    const after: { us: number; perSecond: number }[] = [];
    await cpuUsPer(requestApi);
    await cpuUsPer(dispatch);
    for (let r = 0; r < ROUNDS; r++) {
      before.push(await cpuUsPer(requestApi));
      after.push(await cpuUsPer(dispatch));
    }
    await Promise.all([client.close(), agent.close()]);
    const b = Math.min(...before.map((x) => x.us));
    const a = Math.min(...after.map((x) => x.us));
    const machine = machineInfo();
    const md = [
      '# Delivery HTTP client: CPU per webhook POST',
      '',
      `${N} POSTs × ${ROUNDS} rounds per side, ${CONCURRENCY} in flight, kept-alive connections to a receiver in another process; fastest round; client CPU µs per POST.`,
      `Machine: ${JSON.stringify(machine)}`,
      '',
      '| client | µs/POST (fastest round) | rounds (µs/POST) |',
      '|---|---:|---|',
      `| undici request API + async-iterated body (before) | ${b.toFixed(1)} | ${before.map((x) => x.us.toFixed(1)).join(', ')} |`,
      `| OutboundClient.post, dispatch callbacks (now) | ${a.toFixed(1)} | ${after.map((x) => x.us.toFixed(1)).join(', ')} |`,
      '',
      `Saved: ${(b - a).toFixed(1)} µs per POST (${(((b - a) / b) * 100).toFixed(0)} %).`,
      '',
    ].join('\n');
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'outbound.json'), JSON.stringify({ machine, requests: N, rounds: ROUNDS, concurrency: CONCURRENCY, before, after }, null, 2));
    writeFileSync(join(ROOT, 'bench', 'results', 'outbound.md'), md);
    console.log(md);
  } finally {
    child.kill();
  }
}

if (process.argv[2] === 'receiver') receiverMain();
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
