import type { Admin } from 'kafkajs';

/** Messages on `topic` the group has not committed yet (a group with no commit counts from 0). */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  let lag = 0;
  for (const e of ends) {
    const c = committed?.partitions.find((p) => p.partition === e.partition);
    const at = c === undefined || c.offset === '-1' ? 0 : Number(c.offset);
    lag += Number(e.offset) - at;
  }
  return lag;
}
