#!/usr/bin/env node
// `npm start` on the local dev broker: the apps' consumer groups may sit behind millions of
// records that tests and benchmarks produced into the same topics since the last `npm start`
// (the bench alone writes hundreds of thousands). The demo curl would then wait behind them for
// an hour. Above a limit, each such group is moved to the end of its topics, saying so.
// Only for the broker these scripts run; HOOKSTREAM_KEEP_BACKLOG=1 keeps everything.
//   node tools/dev/skip-backlog.js <groupId>...
'use strict';
const { Kafka, logLevel } = require('kafkajs');
// tools/infra is plain scripts beside this project, not an Nx project.
// eslint-disable-next-line @nx/enforce-module-boundaries
const { kafkaSecurityFromEnv } = require('../infra/kafka-client-env');

const LIMIT = Number(process.env.HOOKSTREAM_BACKLOG_LIMIT || 50000);
const say = (msg) => process.stderr.write(`\x1b[1m[hookstream]\x1b[0m ${msg}\n`);

async function main(groups) {
  const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
  const admin = new Kafka({ clientId: 'hookstream-dev-skip-backlog', brokers, logLevel: logLevel.NOTHING, ...kafkaSecurityFromEnv() }).admin();
  await admin.connect();
  try {
    for (const groupId of groups) {
      // Every topic the group has committed offsets for.
      const committed = await admin.fetchOffsets({ groupId });
      let total = 0;
      const behind = [];
      for (const { topic, partitions } of committed) {
        const ends = await admin.fetchTopicOffsets(topic);
        let lag = 0;
        for (const p of partitions) {
          const end = ends.find((e) => e.partition === p.partition);
          if (end && Number(p.offset) >= 0) lag += Math.max(0, Number(end.high) - Number(p.offset));
        }
        if (lag > 0) behind.push({ topic, lag, ends });
        total += lag;
      }
      if (total <= LIMIT) continue;
      try {
        // Explicit end offsets: resetOffsets() would store -1, which a consumer reading
        // `fromBeginning` takes as "start at the oldest record".
        for (const { topic, ends } of behind) {
          await admin.setOffsets({ groupId, topic, partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })) });
        }
        say(`${groupId}: skipped ${total.toLocaleString('en')} old records on the local broker (${behind.map((b) => b.topic).join(', ')}), left by tests or benchmarks; HOOKSTREAM_KEEP_BACKLOG=1 keeps them`);
      } catch (err) {
        say(`${groupId} is ${total.toLocaleString('en')} records behind and could not be moved (${err.message}); it will work through them first`);
      }
    }
  } finally {
    await admin.disconnect();
  }
}

main(process.argv.slice(2)).catch((err) => {
  // Never fatal: the pipeline works without it, only later.
  say(`could not check the consumer groups' backlog: ${err.message}`);
});
