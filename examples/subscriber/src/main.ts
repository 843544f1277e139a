import { fetchAsyncApi, topicContract } from './contract';
import { Subscriber } from './subscriber';

/*
 * Example internal subscriber: consumes hookstream.events.enriched.v1 with its own group and
 * prints one JSON line per event. Configuration:
 *   KAFKA_BROKERS        default 127.0.0.1:9092
 *   SUBSCRIBER_GROUP_ID  default example-subscriber (your own group, never a hookstream-* one)
 *   SUBSCRIBER_TOPIC     default hookstream.events.enriched.v1
 *   ASYNCAPI_URL         default http://127.0.0.1:3001/asyncapi.json (control-api)
 */
async function main(): Promise<void> {
  const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
  const groupId = process.env['SUBSCRIBER_GROUP_ID'] ?? 'example-subscriber';
  if (groupId.startsWith('hookstream-')) throw new Error(`SUBSCRIBER_GROUP_ID=${groupId}: pick a group of your own; hookstream-* groups belong to the pipeline`);
  const topic = process.env['SUBSCRIBER_TOPIC'] ?? 'hookstream.events.enriched.v1';
  const url = process.env['ASYNCAPI_URL'] ?? 'http://127.0.0.1:3001/asyncapi.json';
  const contract = topicContract(await fetchAsyncApi(url), topic);

  const out = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
  // ce_id is stable on redelivery: a real service keeps the ids it applied (e.g. a unique key);
  // this example remembers the last few thousand in memory.
  const seen = new Set<string>();
  const subscriber = new Subscriber({
    brokers,
    groupId,
    contract,
    onReady: () => out({ msg: 'ready', topic, groupId }),
    onEvent: async (e) => {
      if (seen.has(e.id)) return;
      seen.add(e.id);
      if (seen.size > 10_000) seen.delete(seen.values().next().value as string);
      out({ msg: 'event', ...e });
    },
    onInvalid: async (bad) => out({ msg: 'invalid', ...bad }),
  });
  const stop = (): void => {
    subscriber.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await subscriber.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`example-subscriber: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
