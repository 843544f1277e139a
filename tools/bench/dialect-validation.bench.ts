/*
 * The validator's payload validation per event (libs/dialects validateDto): plainToInstance +
 * validateSync (before) against the fast path (dtoCheck: the decorators' metadata read once into one
 * standalone check, on an instance built as plainToInstance builds it; validateSync only for an
 * invalid payload). One
 * valid payload per DTO dialect: the pipeline bench's Activly purchase, a ProveSource purchase with
 * products[], an ActiveCampaign form post. Same process, alternating sides, ROUNDS rounds after a
 * warm-up; the fastest round of each side is reported, plus normaliseRaw per event as it runs now.
 *
 *   BENCH_SKIP_BUILD=1 npm run bench -- dialect-validation
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClassConstructor } from 'class-transformer';
import {
  AC_EVENTS, acFormBody, ActiveCampaignPayloadDto, activecampaignPlain, ActivlyPayloadDto, activlyPlain,
  normaliseRaw, parseFormBody, ProvesourcePayloadDto, provesourcePlain, validateDto,
} from '@hookstream/dialects';
import type { RawEventDto } from '@hookstream/contracts';

const ROOT = join(__dirname, '..', '..');
const N = Number(process.env['BENCH_DIALECT_EVENTS'] ?? 100_000);
const ROUNDS = 5;

interface Case {
  name: string;
  body: Record<string, unknown>;
  contentType: string;
  run: (fast: boolean) => number;
}

function dtoCase<T extends object>(name: string, body: Record<string, unknown>, contentType: string, cls: ClassConstructor<T>, plainOf: (b: Record<string, unknown>) => Record<string, unknown>): Case {
  return { name, body, contentType, run: (fast) => validateDto(cls, plainOf(body), fast).reasons.length };
}

const CASES: Case[] = [
  dtoCase('activly (pipeline bench purchase)', {
    event: 'purchase', first_name: 'Bench', email: 'bench-1@example.com', city: 'London', country: 'UK', product: 'Running Shoes', amount: 49,
    currency: 'GBP', timestamp: '2026-03-01T10:00:00Z',
  }, 'application/json', ActivlyPayloadDto, activlyPlain),
  dtoCase('provesource (purchase, 2 products)', {
    email: 'test@gmail.com', timestamp: 1528611279398, ip: '141.92.55.102', firstName: 'John', lastName: 'Smith', city: 'Miami', countryCode: 'US',
    total: 55, currency: 'USD', products: [
      { name: 'T-Shirt', link: 'https://mystore.com/t-shirt', id: 123, image: 'https://mystore.com/images/t-shirt.png', price: 55, quantity: 2 },
      { name: 'Cap', link: 'https://mystore.com/cap', id: 'cap-1', price: '12.50', quantity: 1 },
    ],
  }, 'application/json', ProvesourcePayloadDto, provesourcePlain),
  dtoCase('activecampaign (subscribe form post)', parseFormBody(acFormBody(AC_EVENTS[0])) as Record<string, unknown>, 'application/x-www-form-urlencoded',
    ActiveCampaignPayloadDto, activecampaignPlain),
];

function cpuUsPer(fn: () => number): number {
  const t = process.cpuUsage();
  for (let i = 0; i < N; i++) if (fn() !== 0) throw new Error('the bench payloads must be valid');
  const u = process.cpuUsage(t);
  return (u.user + u.system) / N;
}

function rawOf(c: Case): RawEventDto {
  return {
    id: 'evt_0mabc0000000000000000000', accountId: 'acc_1', sourceId: 'src_1', receivedAt: '2026-03-01T10:00:00.000Z', contentType: c.contentType,
    headers: {}, body: c.body, clientIp: null, idempotencyKey: null, dialect: 'auto', initiatedFrom: 'api',
  };
}

const rows: { name: string; beforeUs: number; afterUs: number; normaliseRawUs: number }[] = [];
for (const c of CASES) {
  const raw = rawOf(c);
  const normalise = () => (normaliseRaw(raw).ok ? 0 : 1);
  const before: number[] = [];
  const after: number[] = [];
  const whole: number[] = [];
  cpuUsPer(() => c.run(false));
  cpuUsPer(() => c.run(true));
  cpuUsPer(normalise);
  for (let r = 0; r < ROUNDS; r++) {
    before.push(cpuUsPer(() => c.run(false)));
    after.push(cpuUsPer(() => c.run(true)));
    whole.push(cpuUsPer(normalise));
  }
  rows.push({ name: c.name, beforeUs: Math.min(...before), afterUs: Math.min(...after), normaliseRawUs: Math.min(...whole) });
}

const md = [
  '# Dialect payload validation per event (libs/dialects validateDto)',
  '',
  `${N} valid payloads × ${ROUNDS} rounds per case, fastest round; CPU µs per event (Node ${process.version}).`,
  '',
  '| payload | plainToInstance + validateSync (before) | fast path (now) | saved | normaliseRaw now (whole dialect) |',
  '|---|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.name} | ${r.beforeUs.toFixed(2)} | ${r.afterUs.toFixed(2)} | ${(r.beforeUs - r.afterUs).toFixed(2)} (${(r.beforeUs / r.afterUs).toFixed(1)}×) | ${r.normaliseRawUs.toFixed(2)} |`),
  '',
].join('\n');
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'dialect-validation.json'), JSON.stringify({ events: N, rounds: ROUNDS, rows }, null, 2));
writeFileSync(join(ROOT, 'bench', 'results', 'dialect-validation.md'), md);
console.log(md);
