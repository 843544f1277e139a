/*
 * The validator's envelope check of each events.raw message (rawEventProblems in
 * apps/validator): class-validator's validateSync on a RawEventDto (metadata lookup + a
 * ValidationError per field) against the fast path that calls class-validator's standalone
 * functions and runs validateSync only for a bad envelope. Same process, alternating sides,
 * ROUNDS rounds after a warm-up; the fastest round of each side is reported.
 *
 *   BENCH_SKIP_BUILD=1 npm run bench -- raw-envelope
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RawEventDto } from '@hookstream/contracts';
import { validateSync } from 'class-validator';
import { rawEventProblems } from '../../apps/validator/src/validation/validation.consumer';

const ROOT = join(__dirname, '..', '..');
const N = Number(process.env['BENCH_ENVELOPE_MESSAGES'] ?? 200_000);
const ROUNDS = 5;

const EVENT: Record<string, unknown> = {
  id: 'evt_0mabc0000000000000000000', accountId: 'acc_1', sourceId: 'src_1', receivedAt: '2026-03-01T10:00:00.000Z',
  contentType: 'application/json', headers: { 'user-agent': 'bench' }, body: { event: 'purchase', person: { email: 'a@b.c' } },
  clientIp: '127.0.0.1', idempotencyKey: null, dialect: 'auto', initiatedFrom: 'api', batch: false, dedupe: null,
};

/** What rawEventProblems did before the fast path. */
function validateSyncOnly(value: Record<string, unknown>): string[] {
  const { body: _body, ...envelope } = value;
  return validateSync(Object.assign(new RawEventDto(), envelope), { forbidUnknownValues: false }).flatMap((e) => Object.values(e.constraints ?? {}));
}

function cpuUsPer(fn: (v: Record<string, unknown>) => string[]): number {
  const t = process.cpuUsage();
  for (let i = 0; i < N; i++) if (fn(EVENT).length !== 0) throw new Error('the bench event must be valid');
  const u = process.cpuUsage(t);
  return (u.user + u.system) / N;
}

const before: number[] = [];
const after: number[] = [];
cpuUsPer(validateSyncOnly);
cpuUsPer(rawEventProblems);
for (let r = 0; r < ROUNDS; r++) {
  before.push(cpuUsPer(validateSyncOnly));
  after.push(cpuUsPer(rawEventProblems));
}
const b = Math.min(...before);
const a = Math.min(...after);
const md = [
  '# Validator envelope check per events.raw message',
  '',
  `${N} valid messages × ${ROUNDS} rounds, fastest round; CPU µs per message (Node ${process.version}).`,
  '',
  '| check | µs/message |',
  '|---|---:|',
  `| validateSync on RawEventDto (before) | ${b.toFixed(2)} |`,
  `| envelopeLooksValid, validateSync only for a bad envelope (now) | ${a.toFixed(2)} |`,
  '',
  `Saved: ${(b - a).toFixed(2)} µs per message (${(b / a).toFixed(1)}×).`,
  '',
].join('\n');
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'raw-envelope.json'), JSON.stringify({ messages: N, rounds: ROUNDS, beforeUs: before, afterUs: after }, null, 2));
writeFileSync(join(ROOT, 'bench', 'results', 'raw-envelope.md'), md);
console.log(md);
