import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeKafkaSecurity, KafkaClientConfig, kafkaClientSecurity } from './kafka.config';
import { ConfigValidationError, loadConfig } from './load-config';

function problems(env: Record<string, string>): string {
  try {
    loadConfig(KafkaClientConfig, env);
  } catch (e) {
    if (e instanceof ConfigValidationError) return e.problems.join('\n');
    throw e;
  }
  return '';
}

describe('KafkaClientConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-config-'));
  const notPem = join(dir, 'not.pem');
  writeFileSync(notPem, 'hello');
  const badCa = join(dir, 'bad-ca.pem');
  writeFileSync(badCa, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');

  it('defaults to plaintext, replication 1, no SASL', () => {
    const c = loadConfig(KafkaClientConfig, {});
    expect(kafkaClientSecurity(c)).toEqual({});
    expect([c.KAFKA_REPLICATION_FACTOR, c.KAFKA_MIN_INSYNC_REPLICAS]).toEqual([1, 1]);
    expect(describeKafkaSecurity(c)).toBe('plaintext');
  });

  it('SASL over TLS with the system CAs', () => {
    const c = loadConfig(KafkaClientConfig, { KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' });
    expect(kafkaClientSecurity(c)).toEqual({ ssl: { rejectUnauthorized: true }, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } });
    expect(describeKafkaSecurity(c)).toBe('SASL SCRAM-SHA-512 as u over TLS (system CAs)');
  });

  it('names each bad variable: SASL without TLS, missing credentials, min.insync above the replication factor', () => {
    const p = problems({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_REPLICATION_FACTOR: '2', KAFKA_MIN_INSYNC_REPLICAS: '3' });
    expect(p).toMatch(/^KAFKA_SASL_MECHANISM="plain": SASL sends credentials; it is only supported over TLS: set KAFKA_SSL=true/m);
    expect(p).toMatch(/KAFKA_SASL_USERNAME.*required when KAFKA_SASL_MECHANISM is set/);
    expect(p).toMatch(/KAFKA_SASL_PASSWORD=\(hidden\).*required/);
    expect(p).toMatch(/KAFKA_MIN_INSYNC_REPLICAS=3: KAFKA_MIN_INSYNC_REPLICAS must not exceed KAFKA_REPLICATION_FACTOR/);
  });

  it('checks the TLS files at boot: missing, not PEM, not loadable, cert without key, TLS files without KAFKA_SSL', () => {
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') })).toMatch(/KAFKA_SSL_CA_FILE=.*cannot read .*missing\.pem \(ENOENT\)/);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: notPem })).toMatch(/KAFKA_SSL_CA_FILE=.*holds no PEM CERTIFICATE/);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: badCa })).toMatch(/^KAFKA_SSL="true": KAFKA_SSL_CA_FILE cannot be loaded as TLS material/m);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: badCa })).toMatch(/KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together/);
    expect(problems({ KAFKA_SSL_CA_FILE: badCa })).toMatch(/KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not true/);
  });

  it('KAFKA_COMPRESSION: none by default; one of the five codecs; zstd only on a Node whose zlib has it', () => {
    expect(loadConfig(KafkaClientConfig, {}).KAFKA_COMPRESSION).toBe('none');
    for (const c of ['gzip', 'snappy', 'lz4']) expect(loadConfig(KafkaClientConfig, { KAFKA_COMPRESSION: c }).KAFKA_COMPRESSION).toBe(c);
    expect(problems({ KAFKA_COMPRESSION: 'brotli' })).toMatch(/KAFKA_COMPRESSION="brotli": KAFKA_COMPRESSION must be one of none, gzip, snappy, lz4, zstd/);
    const zstd = problems({ KAFKA_COMPRESSION: 'zstd' });
    if (typeof (require('node:zlib') as { zstdCompress?: unknown }).zstdCompress === 'function') expect(zstd).toBe('');
    else expect(zstd).toMatch(/KAFKA_COMPRESSION=zstd needs Node's zlib zstd \(Node >= 22\.15\), and this is Node /);
  });
});
