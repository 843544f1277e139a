#!/usr/bin/env node
// Readiness probe for Kafka used by tools/infra/kafka.sh.
//   node tools/infra/wait-kafka.js <brokers> [--once] [--timeout=SECONDS] [--brokers=N]
// TLS and SASL come from the apps' variables (KAFKA_SSL, KAFKA_SSL_CA_FILE, KAFKA_SSL_CERT_FILE,
// KAFKA_SSL_KEY_FILE, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD).
// Exit codes: 0 = an admin describeCluster() succeeded (and listed at least N brokers), 1 = not ready (timeout),
//             3 = kafkajs is not installed (run `npm install` at the repo root).
'use strict';
const path = require('path');

const repoRoot = path.resolve(__dirname, '..', '..');
let kafkajs;
try {
  kafkajs = require(require.resolve('kafkajs', { paths: [repoRoot] }));
} catch {
  try {
    kafkajs = require('kafkajs'); // honours NODE_PATH
  } catch {
    process.exit(3);
  }
}
const { Kafka, logLevel } = kafkajs;
const { kafkaSecurityFromEnv } = require('./kafka-client-env');

const args = process.argv.slice(2);
const brokers = (args.find((a) => !a.startsWith('--')) || process.env.KAFKA_BROKERS || '127.0.0.1:9092')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const once = args.includes('--once');
const timeoutArg = args.find((a) => a.startsWith('--timeout='));
const timeoutMs = (timeoutArg ? Number(timeoutArg.split('=')[1]) : 90) * 1000;
const expectArg = args.find((a) => a.startsWith('--brokers='));
const expectBrokers = expectArg ? Number(expectArg.split('=')[1]) : 1;


async function describe(bootstrap) {
  const kafka = new Kafka({
    clientId: 'hookstream-infra-wait',
    brokers: bootstrap,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1500,
    requestTimeout: 3000,
    retry: { retries: 0 },
    ...kafkaSecurityFromEnv(),
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const c = await admin.describeCluster();
    if (c.brokers.length < expectBrokers) throw new Error(`${c.brokers.length} of ${expectBrokers} brokers registered`);
    return c;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

// A cluster is ready when every broker answers by itself and each one already sees all of them
// registered (not only the first broker that answers): a client that bootstraps from any of them,
// or creates a topic with one replica per broker, must not find one still joining.
async function probe() {
  const c = await describe(brokers);
  if (expectBrokers > 1) {
    for (const b of brokers) {
      const seen = await describe([b]);
      if (seen.brokers.length < expectBrokers) throw new Error(`${b} sees ${seen.brokers.length} of ${expectBrokers} brokers`);
    }
  }
  return c;
}

(async () => {
  const started = Date.now();
  let lastPrint = 0;
  for (;;) {
    try {
      const c = await probe();
      if (!once) {
        process.stderr.write(`[infra] Kafka ready at ${brokers.join(',')} (cluster ${c.clusterId}, ${c.brokers.length} broker(s))\n`);
      }
      process.exit(0);
    } catch (err) {
      if (once) process.exit(1);
      const elapsed = Date.now() - started;
      if (elapsed > timeoutMs) {
        process.stderr.write(`[infra] Kafka at ${brokers.join(',')} not ready after ${Math.round(elapsed / 1000)}s: ${err.message}\n`);
        process.exit(1);
      }
      if (elapsed - lastPrint >= 5000) {
        lastPrint = elapsed;
        process.stderr.write(`[infra] waiting for Kafka at ${brokers.join(',')} ... ${Math.round(elapsed / 1000)}s\n`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
})();
