import 'reflect-metadata';
import { ConfigValidationError, KafkaClientConfig, loadConfig } from '@hookstream/config';
import { errorMessage, topicPlan } from '@hookstream/contracts';
import { IsInt, Max, Min } from 'class-validator';
import { createKafkaClient, kafkaConnectionOptions, KafkaAccessError, verifyKafkaAccess } from '../kafka-connection';
import { ensureTopics, topicReplication } from '../topics-admin';

class CreateTopicsConfig extends KafkaClientConfig {
  @IsInt() @Min(1) @Max(1000) KAFKA_TOPIC_PARTITIONS = 6;
}

/**
 * Creates every Hookstream topic (and its `.dlq` twin) that does not exist yet, with the project's
 * partitions, retention and cleanup policy. The apps do the same at start (KAFKA_CREATE_TOPICS);
 * this is for operators preparing a cluster, and for test harnesses that publish before any app runs.
 */
async function main(): Promise<void> {
  const cfg = loadConfig(CreateTopicsConfig);
  const kafka = createKafkaClient(kafkaConnectionOptions(cfg, 'hookstream-create-topics'));
  await verifyKafkaAccess(kafka, cfg);
  const created = await ensureTopics(kafka, topicPlan(cfg.KAFKA_TOPIC_PARTITIONS), topicReplication(cfg));
  console.log(created.length ? `created ${created.length} topic(s): ${created.join(', ')}` : 'all topics exist');
}

main().catch((err: unknown) => {
  const known = err instanceof ConfigValidationError || err instanceof KafkaAccessError;
  console.error(`creating topics failed: ${errorMessage(err)}${known ? '' : '\nCheck KAFKA_BROKERS and that Kafka is running (npm run infra:up).'}`);
  process.exit(1);
});
