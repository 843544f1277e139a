/*
 * CloudEvents envelope on the hot path: Hookstream's hand-written binary-mode headers
 * (envelopeHeaders / readEnvelope in libs/contracts) against the maintained SDK's Kafka binding
 * (`cloudevents` on npm: new CloudEvent(...) + Kafka.binary / Kafka.toEvent), per message, in the
 * same process and run, on the messages the enricher produces and consumes.
 *
 *   npm run bench -- cloudevents        (or BENCH_SKIP_BUILD=1 npm run bench -- cloudevents)
 *
 * Method: BENCH_CE_MESSAGES canonical events (~1 kB of JSON each, as on events.valid) are built
 * once. Each side is then timed over all of them, ROUNDS times, alternating sides, after a warm-up
 * round; the fastest round of each side is reported (the one least disturbed by the shared machine).
 * - produce: envelope → headers (hand) vs CloudEvent construction (its default validation, and
 *   again with `strict: false`) + Kafka.binary (SDK);
 * - consume: headers + value bytes → envelope + parsed value: readEnvelope + JSON.parse (what the
 *   transport does) vs Kafka.toEvent (which parses the JSON value itself).
 * Both sides produce the same attributes (checked on every message before timing). The cost per
 * message is set against the enricher's CPU per event from bench/results/enricher.json (a message
 * is consumed and produced once per event by every stage).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { CloudEvent, Kafka, type KafkaMessage } from 'cloudevents';
import { envelopeHeaders, newTraceparent, readEnvelope, type EventEnvelope } from '@hookstream/contracts';

const ROOT = join(__dirname, '..', '..');
const N = Number(process.env['BENCH_CE_MESSAGES'] ?? 50_000);
const ROUNDS = 5;
const log = (msg: string): void => console.log(`[bench:cloudevents] ${msg}`);

interface Sample {
  key: string;
  envelope: EventEnvelope;
  value: Record<string, unknown>;
  bytes: Buffer;
}

function samples(): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < N; i++) {
    const id = `evt_${(1_700_000_000_000 + i).toString(36)}${i.toString(36).padStart(12, '0')}`;
    const time = new Date(1_772_000_000_000 + i * 1000).toISOString();
    const value = {
      id, accountId: 'acc_bench', sourceId: 'src_bench', type: 'purchase', occurredAt: time, receivedAt: time, initiatedFrom: 'api',
      person: { email: `person${i % 5000}@example.com`, firstName: 'Sarah', lastName: null, ip: `81.2.${i % 256}.${(i >> 8) % 256}`, nameSource: 'payload' },
      location: { city: 'London', state: 'England', stateCode: 'ENG', country: 'United Kingdom', countryCode: 'GB', source: 'geoip' },
      product: { id: 'sku_123', name: 'Running Shoes', link: 'https://shop.example.com/p/running-shoes', image: null, price: 49, quantity: 1 },
      products: [], amount: 49, currency: 'GBP', attributes: { campaign: 'spring' }, dialect: 'activly', dedupeKey: `hash:${i}`,
      enrichment: { warnings: [], applied: ['geoip', 'state-code'] },
    };
    const envelope: EventEnvelope = { id, type: 'hookstream.event.purchase', source: '/sources/src_bench', time, subject: 'acc_bench', traceparent: newTraceparent() };
    out.push({ key: `acc_bench:person${i % 5000}@example.com`, envelope, value, bytes: Buffer.from(JSON.stringify(value)) });
  }
  return out;
}

/** `strict: false` skips the SDK's per-event schema validation (its default is to validate). */
function sdkEvent(s: Sample, strict = true): CloudEvent<Record<string, unknown>> {
  const e = s.envelope;
  return new CloudEvent({
    id: e.id, type: e.type, source: e.source, time: e.time, subject: e.subject, traceparent: e.traceparent,
    datacontenttype: 'application/json', data: s.value, partitionkey: s.key,
  }, strict);
}

let sink = 0;
const sides = {
  produceHand: (all: Sample[]): void => {
    for (const s of all) sink += Object.keys(envelopeHeaders(s.envelope)).length;
  },
  produceSdk: (all: Sample[]): void => {
    for (const s of all) sink += Object.keys(Kafka.binary(sdkEvent(s)).headers).length;
  },
  produceSdkUnvalidated: (all: Sample[]): void => {
    for (const s of all) sink += Object.keys(Kafka.binary(sdkEvent(s, false)).headers).length;
  },
  consumeHand: (all: Sample[], hand: Record<string, string>[]): void => {
    for (let i = 0; i < all.length; i++) {
      const env = readEnvelope(hand[i]);
      const v = JSON.parse((all[i] as Sample).bytes.toString('utf8')) as { id: string };
      sink += (env?.id.length ?? 0) + v.id.length;
    }
  },
  consumeSdk: (all: Sample[], sdk: Record<string, string>[]): void => {
    for (let i = 0; i < all.length; i++) {
      const s = all[i] as Sample;
      const msg: KafkaMessage<Buffer> = { key: s.key, value: s.bytes, headers: sdk[i] as Record<string, string>, body: s.bytes };
      const e = Kafka.toEvent(msg) as CloudEvent<{ id: string }>;
      sink += e.id.length + (e.data?.id.length ?? 0);
    }
  },
};

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function main(): void {
  const all = samples();
  const hand = all.map((s) => envelopeHeaders(s.envelope));
  const sdk = all.map((s) => Kafka.binary(sdkEvent(s)).headers as Record<string, string>);

  // Same attributes either way, before anything is timed.
  for (let i = 0; i < all.length; i++) {
    const s = all[i] as Sample;
    const msg: KafkaMessage<Buffer> = { key: s.key, value: s.bytes, headers: hand[i] as Record<string, string>, body: s.bytes };
    const viaSdk = Kafka.toEvent(msg) as CloudEvent<unknown>;
    const viaHand = readEnvelope(sdk[i]);
    if (viaSdk.id !== s.envelope.id || viaSdk.type !== s.envelope.type || viaSdk.source !== s.envelope.source || viaHand?.id !== s.envelope.id) {
      throw new Error(`message ${i}: the two codecs disagree`);
    }
  }

  const best: Record<keyof typeof sides, number> = { produceHand: Infinity, produceSdk: Infinity, produceSdkUnvalidated: Infinity, consumeHand: Infinity, consumeSdk: Infinity };
  const run = (): Record<keyof typeof sides, number> => ({
    produceHand: time(() => sides.produceHand(all)),
    produceSdk: time(() => sides.produceSdk(all)),
    produceSdkUnvalidated: time(() => sides.produceSdkUnvalidated(all)),
    consumeHand: time(() => sides.consumeHand(all, hand)),
    consumeSdk: time(() => sides.consumeSdk(all, sdk)),
  });
  log(`${N} messages, warm-up round`);
  run();
  for (let r = 0; r < ROUNDS; r++) {
    const t = run();
    for (const k of Object.keys(best) as (keyof typeof sides)[]) best[k] = Math.min(best[k], t[k]);
    log(`round ${r + 1}/${ROUNDS}: ${JSON.stringify(t)}`);
  }
  const us = (ms: number): number => Math.round((ms * 1000 / N) * 100) / 100;
  const perMessage = {
    produceHand: us(best.produceHand), produceSdk: us(best.produceSdk), produceSdkUnvalidated: us(best.produceSdkUnvalidated),
    consumeHand: us(best.consumeHand), consumeSdk: us(best.consumeSdk),
  };
  const hopHand = perMessage.produceHand + perMessage.consumeHand;
  const hopSdk = perMessage.produceSdk + perMessage.consumeSdk;
  const enricherFile = join(ROOT, 'bench', 'results', 'enricher.json');
  const enricher = existsSync(enricherFile) ? (JSON.parse(readFileSync(enricherFile, 'utf8')) as { cpu?: { microsPerEvent?: number }; machine?: { date?: string } }) : undefined;
  const enricherUs = enricher?.cpu?.microsPerEvent;
  const results = {
    messages: N,
    rounds: ROUNDS,
    usPerMessage: perMessage,
    ratios: {
      produce: Math.round((perMessage.produceSdk / perMessage.produceHand) * 10) / 10,
      produceUnvalidated: Math.round((perMessage.produceSdkUnvalidated / perMessage.produceHand) * 10) / 10,
      consume: Math.round((perMessage.consumeSdk / perMessage.consumeHand) * 10) / 10,
      hop: Math.round((hopSdk / hopHand) * 10) / 10,
    },
    extraUsPerHop: Math.round((hopSdk - hopHand) * 100) / 100,
    enricherCpuUsPerEvent: enricherUs ?? null,
    extraShareOfEnricherCpu: enricherUs ? Math.round(((hopSdk - hopHand) / enricherUs) * 1000) / 10 : null,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '', memGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10, node: process.version, date: new Date().toISOString(), load: loadavg().map((l) => Math.round(l * 100) / 100) },
    sink,
  };
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cloudevents.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(
    join(dir, 'cloudevents.md'),
    [
      '# Bench: CloudEvents envelope, hand-written vs the SDK\'s Kafka binding',
      '',
      `${N} enricher-sized messages, best of ${ROUNDS} alternating rounds in one process (tools/bench/cloudevents.bench.ts).`,
      '',
      '| per message | hand-written | SDK (`cloudevents` 10) | SDK / hand |',
      '|---|---|---|---|',
      `| produce (envelope → headers) | ${perMessage.produceHand} µs | ${perMessage.produceSdk} µs | ${results.ratios.produce}× |`,
      `| produce, SDK without its validation (\`strict: false\`) | ${perMessage.produceHand} µs | ${perMessage.produceSdkUnvalidated} µs | ${results.ratios.produceUnvalidated}× |`,
      `| consume (headers + value → envelope + data) | ${perMessage.consumeHand} µs | ${perMessage.consumeSdk} µs | ${results.ratios.consume}× |`,
      `| one hop (consume + produce) | ${Math.round(hopHand * 100) / 100} µs | ${Math.round(hopSdk * 100) / 100} µs | ${results.ratios.hop}× |`,
      '',
      enricherUs
        ? `The SDK would add ${results.extraUsPerHop} µs per event and stage: ${results.extraShareOfEnricherCpu} % of the enricher's ${enricherUs} µs of CPU per event (bench/results/enricher.json, ${enricher?.machine?.date ?? 'date unknown'}).`
        : `The SDK would add ${results.extraUsPerHop} µs per event and stage (no enricher result to compare with).`,
      '',
      `Machine: ${results.machine.cpus} CPUs (${results.machine.model}), Node ${results.machine.node}, ${results.machine.date}, load ${results.machine.load.join(' / ')}.`,
      '',
    ].join('\n'),
  );
  log(`per message: ${JSON.stringify(perMessage)}; ratios ${JSON.stringify(results.ratios)}; wrote bench/results/cloudevents.{json,md}`);
}

main();
