/*
 * Standard Webhooks signing per delivery attempt (issue 13): `signatureHeader`, which delivery
 * calls for every attempt, against the way it signed before session 32 (the secret's base64
 * decoded and the HMAC key prepared on every call, the body copied into a Buffer, the digest
 * turned into base64 from a Buffer). Also `verify`, the gateway's check of a signed inbound
 * source, which shares the key cache. One process, no I/O: CPU µs per call, sides alternated,
 * ROUNDS rounds after a warm-up, the fastest round of each reported.
 *
 *   BENCH_SKIP_BUILD=1 npm run bench -- signing
 */
import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWebhookSecret, newWebhookSecret, signatureHeader, verify } from '@hookstream/webhooks';
import { machineInfo } from './support/machine';

const ROOT = join(__dirname, '..', '..');
const N = Number(process.env['BENCH_SIGNING_CALLS'] ?? 200_000);
const ROUNDS = 5;

/** What `signatureHeader` did before: everything prepared again on each call. */
function signedBefore(id: string, timestamp: number, body: string, secrets: readonly string[]): string {
  return secrets
    .map((s) => `v1,${createHmac('sha256', decodeWebhookSecret(s)).update(`${id}.${timestamp}.`, 'utf8').update(Buffer.from(body, 'utf8')).digest().toString('base64')}`)
    .join(' ');
}

function usPerCall(f: (i: number) => unknown): number {
  const u0 = process.cpuUsage();
  for (let i = 0; i < N; i++) f(i);
  const u = process.cpuUsage(u0);
  return (u.user + u.system) / N;
}

function main(): void {
  // A delivery's body: the bench pipeline's purchase as delivered (~450 bytes of JSON).
  const body = JSON.stringify({
    type: 'purchase',
    timestamp: new Date().toISOString(),
    data: { id: 'evt_0mabc0000000000000000000', email: 'bench-1@example.com', firstName: 'Bench', city: 'London', country: 'UK', product: 'Running Shoes', amount: 49, currency: 'GBP', receivedAt: new Date().toISOString(), attributes: { source: 'bench', tags: ['a', 'b'] } },
  });
  const one = [newWebhookSecret()];
  const rotating = [newWebhookSecret(), newWebhookSecret()];
  const ts = Math.floor(Date.now() / 1000);
  const id = (i: number) => `msg_0mabc${String(i).padStart(20, '0')}`;
  // Both sides must sign alike before either is timed.
  for (const secrets of [one, rotating]) {
    if (signedBefore(id(1), ts, body, secrets) !== signatureHeader(id(1), ts, body, secrets)) throw new Error('the two implementations disagree');
  }
  const signed = signatureHeader(id(7), ts, body, one);
  const headers = { 'webhook-id': id(7), 'webhook-timestamp': String(ts), 'webhook-signature': signed };
  const cases = {
    'sign, one secret (before)': (i: number) => signedBefore(id(i), ts, body, one),
    'sign, one secret (now)': (i: number) => signatureHeader(id(i), ts, body, one),
    'sign, two secrets mid-rotation (before)': (i: number) => signedBefore(id(i), ts, body, rotating),
    'sign, two secrets mid-rotation (now)': (i: number) => signatureHeader(id(i), ts, body, rotating),
    'verify, one secret (now)': () => {
      if (!verify(headers, body, one).ok) throw new Error('verify failed');
    },
  };
  const rounds: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const f of Object.values(cases)) usPerCall(f);
  for (let r = 0; r < ROUNDS; r++) for (const [k, f] of Object.entries(cases)) rounds[k]?.push(usPerCall(f));
  const best = (k: string) => Math.min(...(rounds[k] ?? []));
  const machine = machineInfo();
  const md = [
    '# Signing: CPU per delivery signature',
    '',
    `${N} calls × ${ROUNDS} rounds per case, alternated, one process; fastest round; CPU µs per call.`,
    `Machine: ${JSON.stringify(machine)}`,
    '',
    '| case | µs/call (fastest round) | rounds (µs/call) |',
    '|---|---:|---|',
    ...Object.keys(cases).map((k) => `| ${k} | ${best(k).toFixed(2)} | ${(rounds[k] ?? []).map((x) => x.toFixed(2)).join(', ')} |`),
    '',
    `Now / before: one secret ${(best('sign, one secret (now)') / best('sign, one secret (before)')).toFixed(2)}×, two secrets ${(best('sign, two secrets mid-rotation (now)') / best('sign, two secrets mid-rotation (before)')).toFixed(2)}×.`,
    '',
  ].join('\n');
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'signing.json'), JSON.stringify({ machine, calls: N, rounds: ROUNDS, results: rounds }, null, 2));
  writeFileSync(join(ROOT, 'bench', 'results', 'signing.md'), md);
  console.log(md);
}

main();
