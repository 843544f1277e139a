import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testBrokers, testKafka, uniqueName } from '@hookstream/testing';

const run = promisify(execFile);
const SCRIPT = join(__dirname, '..', 'tools', 'dev', 'skip-backlog.js');

/** tools/dev/skip-backlog.js, which `npm start` runs against the local broker before the apps start. */
describe('npm start: skipping a large backlog on the local broker (real Kafka)', () => {
  const kafka = testKafka('skip-backlog-test');
  const admin = kafka.admin();
  const topic = uniqueName('hookstream-test-backlog');
  const group = uniqueName('hookstream-test-backlog-group');

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2, replicationFactor: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: String(i) })) });
    await producer.disconnect();
    // The group has read nothing yet: committed at offset 0 of both partitions.
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '0' }, { partition: 1, offset: '0' }] });
  });
  afterAll(async () => {
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  const committed = async () => (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.map((p) => Number(p.offset)).sort();
  const ends = async () => (await admin.fetchTopicOffsets(topic)).map((p) => Number(p.high)).sort();
  const skip = (limit: number) =>
    run(process.execPath, [SCRIPT, group], { env: { ...process.env, KAFKA_BROKERS: testBrokers().join(','), HOOKSTREAM_BACKLOG_LIMIT: String(limit) } });

  it('leaves a group alone while its backlog is within the limit', async () => {
    const { stderr } = await skip(30);
    expect(stderr).toBe('');
    expect(await committed()).toEqual([0, 0]);
  });

  it('moves a group past a larger backlog to the end offsets (not -1, which a fromBeginning consumer reads as "oldest"), saying so', async () => {
    const { stderr } = await skip(29);
    expect(stderr).toContain(`${group}: skipped 30 old records`);
    expect(await committed()).toEqual(await ends());
  });
});
