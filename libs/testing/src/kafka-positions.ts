import type { Admin, Kafka } from 'kafkajs';

/**
 * Commits the current end of every partition of `topics` for a new consumer group, so the app's
 * consumer starts exactly there instead of replaying the shared topics' history (a developer's
 * broker keeps every earlier run and benchmark). One short-lived member joins, commits and leaves:
 * kafkajs' admin.setOffsets costs a group join per topic, this one per group.
 */
export async function startGroupAtEnd(kafka: Kafka, groupId: string, topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  let ends: { topic: string; partition: number; offset: string }[];
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    // A topic that does not exist yet has no history; the app creates it.
    if (present.length === 0) return;
    topics = present;
    ends = (await Promise.all(topics.map(async (topic) => (await topicEnds(admin, topic)).map((p) => ({ topic, partition: p.partition, offset: p.high }))))).flat();
  } finally {
    await admin.disconnect();
  }
  const c = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  const joined = new Promise<void>((resolve) => c.on(c.events.GROUP_JOIN, () => resolve()));
  await c.connect();
  try {
    await c.subscribe({ topics, fromBeginning: false });
    await c.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
    // Only once joined: on a new broker the group coordinator is still loading when run() returns,
    // and pause() before the group exists throws. (Nothing fetched meanwhile is resolved or committed.)
    await joined;
    c.pause(topics.map((topic) => ({ topic })));
    await c.commitOffsets(ends);
  } finally {
    await c.disconnect();
  }
}

/**
 * The topic's end offsets. Right after a broker restart kafkajs' fetchTopicOffsets can fail while
 * its metadata catches up (a leader's answer without the topic surfaces as a TypeError inside
 * kafkajs): asked again for up to 20 s.
 */
async function topicEnds(admin: Admin, topic: string): Promise<{ partition: number; high: string }[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
