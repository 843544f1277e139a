// TLS and SASL options for the plain-JavaScript tools (readiness probe, dev scripts), read from the
// same variables as the apps (libs/config KafkaClientConfig validates them there; here a bad file
// simply fails the connection).
'use strict';
const fs = require('fs');

function kafkaSecurityFromEnv(env = process.env) {
  const out = {};
  if (env.KAFKA_SSL === 'true') {
    out.ssl = { rejectUnauthorized: true };
    if (env.KAFKA_SSL_CA_FILE) out.ssl.ca = fs.readFileSync(env.KAFKA_SSL_CA_FILE, 'utf8');
    if (env.KAFKA_SSL_CERT_FILE) out.ssl.cert = fs.readFileSync(env.KAFKA_SSL_CERT_FILE, 'utf8');
    if (env.KAFKA_SSL_KEY_FILE) out.ssl.key = fs.readFileSync(env.KAFKA_SSL_KEY_FILE, 'utf8');
    if (env.KAFKA_SSL_KEY_PASSWORD) out.ssl.passphrase = env.KAFKA_SSL_KEY_PASSWORD;
  }
  if (env.KAFKA_SASL_MECHANISM) {
    out.sasl = { mechanism: env.KAFKA_SASL_MECHANISM.toLowerCase(), username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD };
  }
  return out;
}

module.exports = { kafkaSecurityFromEnv };
