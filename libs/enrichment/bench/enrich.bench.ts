/*
 * Micro-benchmark: 100k enrichEvent calls, each with a geo-IP lookup in the shipped database.
 *   npx ts-node --transpile-only -r tsconfig-paths/register libs/enrichment/bench/enrich.bench.ts
 * Prints rates only; no assertions.
 */
// Types only: the contracts' runtime (class-validator decorators) needs reflect-metadata, which this script does not load.
import type { CanonicalEvent, ProductDto } from '@hookstream/contracts';
import { classifyIp, enrichEvent, GeoIpLookup, type EnrichDeps } from '../src';

const EVENTS = 100_000;
const WARMUP = 10_000;
const DISTINCT_IPS = 50_000;

/** Deterministic pseudo-random public IPv4 addresses, so runs are comparable. */
function publicIps(count: number): string[] {
  const ips: string[] = [];
  let seed = 0x2545f491;
  while (ips.length < count) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const ip = [seed >>> 24, (seed >>> 16) & 255, (seed >>> 8) & 255, seed & 255].join('.');
    if (classifyIp(ip).kind === 'ipv4') ips.push(ip);
  }
  return ips;
}

const FIRST = ['john', 'sarah', 'anne-marie', 'li', 'oliver', 'emma', 'noah', 'mia'];
const LAST = ['smith', 'garcia', 'oneil', 'müller', 'tanaka', 'brown'];

function makeEvent(i: number, ip: string): CanonicalEvent {
  const products = [
    { id: String(i), name: 'Socks', link: null, image: null, price: 5, quantity: 2 },
    { id: String(i + 1), name: 'Sneakers', link: null, image: null, price: 55, quantity: 1 },
  ] satisfies ProductDto[];
  return {
    id: `evt_${i.toString(36)}`,
    accountId: 'acc_bench',
    sourceId: 'src_bench',
    type: 'purchase',
    occurredAt: '2026-02-28T14:30:00Z',
    receivedAt: '2026-02-28T14:30:00.120Z',
    initiatedFrom: 'api',
    person: { firstName: null, lastName: null, nameSource: null, ip, email: `${FIRST[i % FIRST.length]}.${LAST[i % LAST.length]}${i}@example.com` },
    location: { city: null, state: null, stateCode: null, country: null, countryCode: null, source: null },
    product: null,
    products,
    amount: 65,
    currency: 'USD',
    attributes: {},
    dialect: 'provesource',
  };
}

async function main(): Promise<void> {
  const t0 = process.hrtime.bigint();
  const geo = await GeoIpLookup.open();
  const openMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const ips = publicIps(DISTINCT_IPS);
  const events = Array.from({ length: EVENTS }, (_, i) => makeEvent(i, ips[i % ips.length] ?? '8.8.8.8'));
  const deps: EnrichDeps = { geo, nameHistory: () => undefined, emailKeySecret: 'bench-secret' };

  for (let i = 0; i < WARMUP; i++) enrichEvent(events[i % events.length] ?? makeEvent(i, '8.8.8.8'), deps);

  let located = 0;
  const start = process.hrtime.bigint();
  for (const event of events) {
    if (enrichEvent(event, deps).event.location.source === 'geoip') located++;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;

  const lookupStart = process.hrtime.bigint();
  for (const ip of ips) geo.lookup(ip);
  const lookupSeconds = Number(process.hrtime.bigint() - lookupStart) / 1e9;

  console.log(`database: ${geo.info.databaseType} built ${geo.info.builtAt}, opened in ${openMs.toFixed(0)} ms`);
  console.log(`enrichEvent: ${EVENTS} events in ${seconds.toFixed(3)} s → ${Math.round(EVENTS / seconds)} events/s, ${((seconds / EVENTS) * 1e6).toFixed(2)} µs/event (${located} located by geo-IP, ${DISTINCT_IPS} distinct IPs)`);
  console.log(`geo lookup alone: ${Math.round(ips.length / lookupSeconds)} lookups/s, ${((lookupSeconds / ips.length) * 1e6).toFixed(2)} µs/lookup`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
