import { Controller, Module, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { dlqOf, envelopeHeaders, newTraceparent, TOPIC_MAX_MESSAGE_BYTES, type TopicSpec } from '@hookstream/contracts';
import {
  CoalescingProducer,
  ensureTopics,
  KafkaBatchTransport,
  RethrowRpcFilter,
  type KafkaBatchContext,
  type KafkaBatchTransportOptions,
  type KafkaHandlerExtras,
} from '../../src';
// The shared integration helpers live in the testing lib, which itself builds on this lib; only
// this test harness crosses that line, the lib's sources never do.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { testBrokers, testKafka, uniqueName, waitFor } from '@hookstream/testing';
import type { IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';

export { testBrokers, testKafka, uniqueName, waitFor };

export type TestHandler = (data: unknown, ctx: KafkaBatchContext) => unknown;

/** A real Nest module whose single controller subscribes `topic` with `@EventPattern`. */
export function handlerModule(topic: string, handle: TestHandler, extras: KafkaHandlerExtras = {}): Type {
  @Controller()
  class TestConsumer {
    @EventPattern(topic, extras)
    handle(@Payload() data: unknown, @Ctx() ctx: KafkaBatchContext): unknown {
      return handle(data, ctx);
    }
  }
  @Module({ controllers: [TestConsumer] })
  class TestConsumerModule {}
  return TestConsumerModule;
}

export interface RunningConsumer {
  app: INestMicroservice;
  transport: KafkaBatchTransport;
}

/** Fast-failing, fast-rebalancing defaults; tests override what they are about. */
export async function startConsumer(
  module: Type,
  opts: Omit<KafkaBatchTransportOptions, 'sessionTimeoutMs'> & Partial<Pick<KafkaBatchTransportOptions, 'sessionTimeoutMs'>>,
): Promise<RunningConsumer> {
  const transport = new KafkaBatchTransport({
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 1000,
    retryBaseMs: 10,
    retryMaxMs: 50,
    fromBeginning: true,
    ...opts,
  });
  const app = await NestFactory.createMicroservice(module, {
    strategy: transport,
    logger: process.env['TEST_NEST_LOGS'] ? ['error', 'warn', 'log'] : false,
  });
  app.useGlobalFilters(new RethrowRpcFilter());
  await app.listen();
  return { app, transport };
}

/** A consumed test topic and its `.dlq` twin, like the project's topic plan declares them. */
export async function createTopicPair(kafka: Kafka, prefix: string, partitions = 1): Promise<string> {
  const name = uniqueName(`it.kafka.${prefix}`);
  const plan: TopicSpec[] = [
    { name, partitions, retentionMs: 3_600_000, cleanupPolicy: 'delete', consumed: true, maxMessageBytes: TOPIC_MAX_MESSAGE_BYTES },
    { name: dlqOf(name), partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete', consumed: false, maxMessageBytes: TOPIC_MAX_MESSAGE_BYTES },
  ];
  await ensureTopics(kafka, plan);
  return name;
}

export async function connectedProducer(kafka: Kafka, sendTimeoutMs = 10_000): Promise<CoalescingProducer> {
  const p = new CoalescingProducer(kafka, { sendTimeoutMs });
  await p.connect();
  return p;
}

/** Input records written with plain kafkajs, so tests control partition, bytes and headers exactly. */
export interface RawRecord {
  key: string | null;
  value: string | null;
  partition?: number;
  headers?: IHeaders;
}

export function jsonRecord(key: string, value: unknown, partition = 0): RawRecord {
  return {
    key,
    value: JSON.stringify(value),
    partition,
    headers: envelopeHeaders({ id: randomUUID(), type: 'test.event', source: '/it/kafka', time: new Date().toISOString(), traceparent: newTraceparent() }),
  };
}

export async function produceRaw(kafka: Kafka, topic: string, records: RawRecord[]): Promise<void> {
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    // One request, so the records land in one record batch and are fetched together.
    await producer.send({ topic, acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value, partition: r.partition ?? 0, headers: r.headers })) });
  } finally {
    await producer.disconnect();
  }
}

export interface ReadMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Reads a topic from the beginning until `count` records arrived (then the caller knows it has them all). */
export async function readTopic(kafka: Kafka, topic: string, count: number, timeoutMs = 20_000): Promise<ReadMessage[]> {
  const out: ReadMessage[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('it-reader'), maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        out.push(toRead(partition, message));
      },
    });
    await waitFor(() => out.length >= count, { timeoutMs, what: `${count} records on ${topic} (have ${out.length})` });
    return out;
  } finally {
    await consumer.disconnect();
  }
}

function toRead(partition: number, m: KafkaMessage): ReadMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v !== undefined) headers[k] = (Array.isArray(v) ? v[0] : v).toString();
  }
  return { partition, offset: m.offset, key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, headers };
}

/** Records ever written to the topic (sum of high watermarks): an exact count without waiting for absence. */
export async function recordCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** The group's committed offset per partition (-1 = nothing committed). */
export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(t.partitions.map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** A promise and its settlers, for work a test finishes by hand. */
export function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
