import type { InboundMessage } from '../src';
import type { Kafka } from 'kafkajs';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { CrashFixtureReport } from './fixtures/crash-consumer.fixture';
import {
  committedOffsets,
  connectedProducer,
  createTopicPair,
  handlerModule,
  jsonRecord,
  produceRaw,
  sleep,
  startConsumer,
  testBrokers,
  testKafka,
  uniqueName,
  waitFor,
  type RunningConsumer,
} from './support/kafka-harness';

const ROOT = join(__dirname, '..', '..', '..');
const PER_PARTITION = 10;
// Partition 0 finishes 6 handlers before one hangs, partition 1 finishes 3.
const BLOCK_FROM: Record<string, number> = { '0': 6, '1': 3 };

const idOf = (p: number, i: number) => `p${p}-m${i}`;
const range = (p: number, from: number, to: number) => Array.from({ length: to - from }, (_, k) => idOf(p, from + k));

describe('commit after success, across a crash (SIGKILL) of the consumer process', () => {
  let kafka: Kafka;
  let child: ChildProcess | undefined;
  let second: RunningConsumer | undefined;
  let secondProducer: Awaited<ReturnType<typeof connectedProducer>> | undefined;

  beforeAll(() => {
    kafka = testKafka('it-kafka-crash');
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await second?.app.close();
    await secondProducer?.disconnect();
  });

  it('redelivers exactly the messages whose handler had not finished, and none that had', async () => {
    const topic = await createTopicPair(kafka, 'crash', 2);
    const groupId = uniqueName('it-crash');
    const records = [0, 1].flatMap((p) => Array.from({ length: PER_PARTITION }, (_, i) => jsonRecord(`k${p}`, { id: idOf(p, i), partition: p, index: i }, p)));
    await produceRaw(kafka, topic, records);

    // Run 1: a separate process, killed without any chance to finish or clean up.
    const done = new Set<string>();
    const blocked = new Set<string>();
    child = fork(join(__dirname, 'fixtures', 'crash-consumer.fixture.ts'), [], {
      cwd: ROOT,
      execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
      env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), KAFKA_BROKERS: testBrokers().join(','), CRASH_TOPIC: topic, CRASH_GROUP: groupId, CRASH_BLOCK_FROM: JSON.stringify(BLOCK_FROM) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.once('exit', (_code, signal) => resolve(signal)));
    child.on('message', (r: CrashFixtureReport) => {
      if (r.type === 'done' && r.id) done.add(r.id);
      if (r.type === 'blocked' && r.id) blocked.add(r.id);
    });
    await waitFor(() => blocked.size === 2, { timeoutMs: 45_000, what: 'both partitions to have a hung handler in the child' });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    child = undefined;

    expect([...done].sort()).toEqual([...range(0, 0, 6), ...range(1, 0, 3)].sort());
    expect([...blocked].sort()).toEqual([idOf(0, 6), idOf(1, 3)]);
    // Offsets were committed per finished message, before the crash.
    const afterCrash = await committedOffsets(kafka, groupId, topic);
    expect(afterCrash.get(0)).toBe(6);
    expect(afterCrash.get(1)).toBe(3);

    // Run 2: a new consumer in the same group (it waits for the dead member's session to expire).
    const seen: string[] = [];
    secondProducer = await connectedProducer(kafka);
    second = await startConsumer(
      handlerModule(topic, (m: unknown) => {
        seen.push((m as InboundMessage<{ id: string }>).value.id);
      }),
      { kafka, producer: secondProducer, groupId },
    );
    const expected = [...range(0, 6, PER_PARTITION), ...range(1, 3, PER_PARTITION)];
    await waitFor(() => expected.every((id) => seen.includes(id)), { timeoutMs: 40_000, what: 'unfinished messages redelivered' });
    await waitFor(async () => {
      const o = await committedOffsets(kafka, groupId, topic);
      return o.get(0) === PER_PARTITION && o.get(1) === PER_PARTITION;
    });
    // Give a stray redelivery of finished work time to show up before asserting its absence.
    await sleep(500);
    expect([...seen].sort()).toEqual([...expected].sort());
    // Within a partition, order is kept.
    expect(seen.filter((id) => id.startsWith('p0-'))).toEqual(range(0, 6, PER_PARTITION));
    expect(seen.filter((id) => id.startsWith('p1-'))).toEqual(range(1, 3, PER_PARTITION));
  });
});
