import 'reflect-metadata';
import { topicPlan } from '@hookstream/contracts';
import { createKafkaClient, parseBrokers } from '../kafka-connection';
import { ensureTopics } from '../topics-admin';

/**
 * Creates every Hookstream topic (and its `.dlq` twin) that does not exist yet, with the project's
 * partitions, retention and cleanup policy. The apps do the same at start (KAFKA_CREATE_TOPICS);
 * this is for operators preparing a cluster, and for test harnesses that publish before any app runs.
 */
async function main(): Promise<void> {
  const brokers = parseBrokers(process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092');
  const partitions = Number(process.env['KAFKA_TOPIC_PARTITIONS'] ?? 6);
  const replication = Number(process.env['KAFKA_REPLICATION_FACTOR'] ?? 1);
  const kafka = createKafkaClient({ brokers, clientId: 'hookstream-create-topics' });
  const created = await ensureTopics(kafka, topicPlan(partitions), replication);
  console.log(created.length ? `created ${created.length} topic(s): ${created.join(', ')}` : 'all topics exist');
}

main().catch((err: unknown) => {
  console.error(`creating topics failed: ${err instanceof Error ? err.message : String(err)}\nCheck KAFKA_BROKERS and that Kafka is running (npm run infra:up).`);
  process.exit(1);
});
