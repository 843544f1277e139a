import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RAW_RECORD_MAX_BYTES, TOPIC_MAX_MESSAGE_BYTES, topicPlan } from './topics';

const repo = join(__dirname, '../../..');

describe('the record size limit: one number for topics, brokers and the gateway', () => {
  it('every topic in the plan has max.message.bytes = TOPIC_MAX_MESSAGE_BYTES, and the gateway records fit twice', () => {
    for (const t of topicPlan(6)) expect([t.name, t.maxMessageBytes]).toEqual([t.name, TOPIC_MAX_MESSAGE_BYTES]);
    expect(RAW_RECORD_MAX_BYTES * 2).toBeLessThanOrEqual(TOPIC_MAX_MESSAGE_BYTES);
  });

  it('the local broker (tools/infra/kafka.sh) and the Kafka image (compose, tests) accept the same size', () => {
    expect(readFileSync(join(repo, 'tools/infra/kafka.sh'), 'utf8')).toContain(`\nmessage.max.bytes=${TOPIC_MAX_MESSAGE_BYTES}\n`);
    expect(readFileSync(join(repo, 'docker/kafka/entrypoint.sh'), 'utf8')).toContain(`echo "message.max.bytes=${TOPIC_MAX_MESSAGE_BYTES}"\n`);
    // compose must not set it lower (KAFKA_CFG_* would win over the image's setting).
    expect(readFileSync(join(repo, 'docker/compose.yaml'), 'utf8')).not.toMatch(/KAFKA_CFG_MESSAGE_MAX_BYTES/);
  });
});
