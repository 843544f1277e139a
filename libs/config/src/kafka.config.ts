import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import {
  IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min, registerDecorator, ValidateIf, type ValidationArguments,
} from 'class-validator';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export const KAFKA_COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type KafkaCompression = (typeof KAFKA_COMPRESSIONS)[number];

/** Node's zlib has zstd from 22.15 / 23.8 on (the images and `npm start` run Node 24). */
export function nodeHasZstd(): boolean {
  return typeof (require('node:zlib') as { zstdCompress?: unknown }).zstdCompress === 'function';
}

/**
 * How a Kafka client reaches the cluster: brokers, TLS, SASL, and the replication topics get.
 * Every app's config extends it (through BaseAppConfig); the CLIs, tools and test harness load it
 * alone with `loadConfig(KafkaClientConfig)`, so every client is configured — and validated — alike.
 */
export class KafkaClientConfig {
  @IsString() @IsNotEmpty()
  @Matches(/^[^,\s]+(,[^,\s]+)*$/, { message: 'KAFKA_BROKERS must be a comma-separated host:port list, e.g. 127.0.0.1:9092' })
  KAFKA_BROKERS = '127.0.0.1:9092';

  /** Replicas of every topic the apps (and the create-topics CLI) create. Production: 3. */
  @IsInt() @Min(1) @Max(32) KAFKA_REPLICATION_FACTOR = 1;

  /** `min.insync.replicas` of those topics: with acks=all a write needs this many replicas. Production: 2. */
  @IsInt() @Min(1) @Max(32)
  @AtMostField('KAFKA_REPLICATION_FACTOR', 'KAFKA_MIN_INSYNC_REPLICAS must not exceed KAFKA_REPLICATION_FACTOR (every write would be refused); production uses 3 replicas with min.insync 2')
  KAFKA_MIN_INSYNC_REPLICAS = 1;

  /**
   * How long a request to a broker may take before the client gives up on that connection and
   * retries elsewhere; bounds how long a hung (paused, partitioned) leader stalls producers.
   */
  @IsInt() @Min(1000) @Max(300000) KAFKA_REQUEST_TIMEOUT_MS = 30000;

  @IsInt() @Min(100) @Max(60000) KAFKA_CONNECTION_TIMEOUT_MS = 3000;

  /**
   * After a fetch brought a small batch (fewer than 100 records for a partition), a consumer
   * group's transport waits this long before it fetches again, so the next fetch brings more
   * records: fewer Fetch, OffsetCommit and Produce requests per event at moderate load, for at most
   * this much added latency per hop. A full batch never waits. 0 = fetch again at once.
   */
  @IsInt() @Min(0) @Max(200) KAFKA_FETCH_LINGER_MS = 10;

  /**
   * A consumer group's transport commits its offsets at most this often: a batch that was handled
   * fetches on without waiting for its commit, and the commits of the batches handled meanwhile go
   * out together. Nothing is committed before its handler succeeded; a crash or rebalance reads
   * again what was handled since the last commit (at most this long of work). 0 = commit after
   * each batch, and wait for it before the next fetch.
   */
  @IsInt() @Min(0) @Max(10000) KAFKA_COMMIT_INTERVAL_MS = 0;

  /**
   * An idle producer waits this long for more sends before it sends a request (Kafka's linger.ms,
   * whose default Kafka 4.0 also raised from 0 to 5): fewer Produce requests at moderate load, for
   * at most this much added latency per hop (the gateway's 202 included). While a request is in
   * flight, sends collect without it. 0 = next tick. At 50 % of capacity, 5 ms cut the pipeline's
   * p99 and raised its capacity (bench/README.md, session 29).
   */
  @IsInt() @Min(0) @Max(100) KAFKA_PRODUCER_LINGER_MS = 5;

  /**
   * Batch handlers get one call for the batches of all partitions of a topic that one fetch
   * brought (each partition commits its own offset after that call succeeded; a failed call is
   * retried per partition): one PostgreSQL statement, produce and commit per fetch instead of per
   * partition. false = one call per partition's batch.
   */
  @IsIn(['true', 'false'], { message: 'KAFKA_MERGE_PARTITIONS must be true or false' }) KAFKA_MERGE_PARTITIONS: 'true' | 'false' = 'true';

  /**
   * How long the broker may hold a fetch of a consumer that follows a topic (the config topic in
   * every app, control-api's live-feed tail) when there is nothing new. Records are returned as
   * soon as they arrive, whatever this is; it only sets how often an idle follower asks (and how
   * long a shutdown may wait for its open fetch).
   */
  @IsInt() @Min(10) @Max(10000) KAFKA_FOLLOWER_MAX_WAIT_MS = 500;

  /**
   * The codec this process's producer compresses record batches with: none, gzip, snappy, lz4 or
   * zstd. Fewer bytes on the network, on the brokers' disks and in replication (the bench's records
   * shrank 6–18× with lz4), for some CPU in the producer, the brokers (they decompress to validate)
   * and the consumers, and a higher p99 at moderate load (bench/README.md, "Kafka compression").
   * Consumers read every codec whatever this is.
   */
  @IsIn(KAFKA_COMPRESSIONS, { message: `KAFKA_COMPRESSION must be one of ${KAFKA_COMPRESSIONS.join(', ')}` })
  @CodecAvailable()
  KAFKA_COMPRESSION: KafkaCompression = 'none';

  /** TLS to the brokers (SSL or SASL_SSL listeners). */
  @IsIn(['true', 'false'], { message: 'KAFKA_SSL must be true or false' }) @TlsMaterialUsable() KAFKA_SSL = 'false';

  /** PEM bundle of the CA(s) that signed the brokers' certificates; empty = the system's trusted CAs. */
  @IsOptional() @IsString() @IsPemFile('CERTIFICATE') @NeedsSsl()
  KAFKA_SSL_CA_FILE = '';

  /** Client certificate (PEM) for mutual TLS; needs KAFKA_SSL_KEY_FILE. */
  @IsOptional() @IsString() @IsPemFile('CERTIFICATE') @NeedsSsl()
  @BothOrNeither('KAFKA_SSL_KEY_FILE', 'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (mutual TLS): set both or neither')
  KAFKA_SSL_CERT_FILE = '';

  /** Private key (PEM) of the client certificate. */
  @IsOptional() @IsString() @IsPemFile('PRIVATE KEY') @NeedsSsl()
  @BothOrNeither('KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (mutual TLS): set both or neither')
  KAFKA_SSL_KEY_FILE = '';

  /** Passphrase of an encrypted KAFKA_SSL_KEY_FILE. */
  @IsOptional() @IsString() KAFKA_SSL_KEY_PASSWORD = '';

  /** SASL over TLS: plain, scram-sha-256 or scram-sha-512; empty = no SASL. */
  @IsOptional() @IsIn(['', ...SASL_MECHANISMS], { message: `KAFKA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')} (or empty for none)` })
  @NeedsSsl('SASL sends credentials; it is only supported over TLS: set KAFKA_SSL=true (the broker listener must be SASL_SSL)')
  KAFKA_SASL_MECHANISM = '';

  @ValidateIf((o: KafkaClientConfig) => o.KAFKA_SASL_MECHANISM !== '')
  @IsString() @IsNotEmpty({ message: 'KAFKA_SASL_USERNAME is required when KAFKA_SASL_MECHANISM is set' })
  KAFKA_SASL_USERNAME = '';

  @ValidateIf((o: KafkaClientConfig) => o.KAFKA_SASL_MECHANISM !== '')
  @IsString() @IsNotEmpty({ message: 'KAFKA_SASL_PASSWORD is required when KAFKA_SASL_MECHANISM is set' })
  KAFKA_SASL_PASSWORD = '';
}

/** The TLS and SASL parts of a kafkajs client config (structurally kafkajs' own types; this lib stays framework-free). */
export interface KafkaClientSecurity {
  ssl?: SecureContextOptions & { rejectUnauthorized: true };
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
}

/** Reads the CA bundle, certificate and key named by the config into the options a kafkajs client takes. */
export function kafkaClientSecurity(cfg: KafkaClientConfig): KafkaClientSecurity {
  const out: KafkaClientSecurity = {};
  if (cfg.KAFKA_SSL === 'true') out.ssl = { ...tlsMaterial(cfg), rejectUnauthorized: true };
  if (cfg.KAFKA_SASL_MECHANISM) {
    out.sasl = { mechanism: cfg.KAFKA_SASL_MECHANISM as SaslMechanism, username: cfg.KAFKA_SASL_USERNAME, password: cfg.KAFKA_SASL_PASSWORD };
  }
  return out;
}

/** A one-line description for logs: never the password. */
export function describeKafkaSecurity(cfg: KafkaClientConfig): string {
  const tls = cfg.KAFKA_SSL === 'true' ? `TLS${cfg.KAFKA_SSL_CA_FILE ? ' (CA file)' : ' (system CAs)'}${cfg.KAFKA_SSL_CERT_FILE ? ' + client certificate' : ''}` : 'plaintext';
  return cfg.KAFKA_SASL_MECHANISM ? `SASL ${cfg.KAFKA_SASL_MECHANISM.toUpperCase()} as ${cfg.KAFKA_SASL_USERNAME} over ${tls}` : tls;
}

function tlsMaterial(cfg: KafkaClientConfig): SecureContextOptions {
  const read = (f: string) => (f ? readFileSync(f, 'utf8') : undefined);
  const m: SecureContextOptions = {};
  const ca = read(cfg.KAFKA_SSL_CA_FILE);
  if (ca) m.ca = ca;
  const cert = read(cfg.KAFKA_SSL_CERT_FILE);
  const key = read(cfg.KAFKA_SSL_KEY_FILE);
  if (cert) m.cert = cert;
  if (key) m.key = key;
  if (cfg.KAFKA_SSL_KEY_PASSWORD) m.passphrase = cfg.KAFKA_SSL_KEY_PASSWORD;
  return m;
}

// ---------------------------------------------------------------------------------- validators ----

function fileProblem(path: string, kind: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}): give the path of a readable PEM file`;
  }
  return new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(text) ? null : `${path} holds no PEM ${kind} ("-----BEGIN …${kind}-----")`;
}

function IsPemFile(kind: 'CERTIFICATE' | 'PRIVATE KEY') {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'isPemFile', target: target.constructor, propertyName: property,
      validator: {
        validate: (v: unknown) => typeof v !== 'string' || v === '' || fileProblem(v, kind) === null,
        defaultMessage: (a: ValidationArguments) => fileProblem(String(a.value), kind) ?? 'invalid',
      },
    });
}

function NeedsSsl(message?: string) {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'needsSsl', target: target.constructor, propertyName: property,
      validator: {
        validate: (v: unknown, a: ValidationArguments) => !v || (a.object as KafkaClientConfig).KAFKA_SSL === 'true',
        defaultMessage: (a: ValidationArguments) => message ?? `${a.property} is set but KAFKA_SSL is not true: set KAFKA_SSL=true to use TLS`,
      },
    });
}

function BothOrNeither(other: keyof KafkaClientConfig, message: string) {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'bothOrNeither', target: target.constructor, propertyName: property,
      validator: { validate: (v: unknown, a: ValidationArguments) => !!v === !!(a.object as KafkaClientConfig)[other], defaultMessage: () => message },
    });
}

function AtMostField(other: keyof KafkaClientConfig, message: string) {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'atMostField', target: target.constructor, propertyName: property,
      validator: {
        validate: (v: unknown, a: ValidationArguments) => {
          const limit = (a.object as KafkaClientConfig)[other];
          return typeof v !== 'number' || typeof limit !== 'number' || v <= limit;
        },
        defaultMessage: () => message,
      },
    });
}

/** The CA, certificate and key must also load together (key matches certificate, passphrase right). */
function TlsMaterialUsable() {
  return (target: object, property: string) => {
    const problem = (o: KafkaClientConfig): string | null => {
      if (o.KAFKA_SSL !== 'true') return null;
      const files: [string, 'CERTIFICATE' | 'PRIVATE KEY'][] = [[o.KAFKA_SSL_CA_FILE, 'CERTIFICATE'], [o.KAFKA_SSL_CERT_FILE, 'CERTIFICATE'], [o.KAFKA_SSL_KEY_FILE, 'PRIVATE KEY']];
      // A missing or non-PEM file is reported on its own variable; a lone cert or key likewise.
      if (files.some(([f, kind]) => f && fileProblem(f, kind) !== null) || !o.KAFKA_SSL_CERT_FILE !== !o.KAFKA_SSL_KEY_FILE) return null;
      try {
        // Every certificate of the bundle must parse (createSecureContext skips a broken CA silently).
        for (const f of [o.KAFKA_SSL_CA_FILE, o.KAFKA_SSL_CERT_FILE].filter(Boolean)) {
          for (const pem of readFileSync(f, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []) new X509Certificate(pem);
        }
        createSecureContext(tlsMaterial(o));
        return null;
      } catch (err) {
        const names = o.KAFKA_SSL_CERT_FILE ? 'KAFKA_SSL_CA_FILE / KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE / KAFKA_SSL_KEY_PASSWORD' : 'KAFKA_SSL_CA_FILE';
        return `${names} cannot be loaded as TLS material: ${(err as Error).message} (a CA bundle of PEM certificates; a client key that belongs to its certificate, with KAFKA_SSL_KEY_PASSWORD if it is encrypted)`;
      }
    };
    registerDecorator({
      name: 'tlsMaterialUsable', target: target.constructor, propertyName: property,
      validator: {
        validate: (_v: unknown, a: ValidationArguments) => problem(a.object as KafkaClientConfig) === null,
        defaultMessage: (a: ValidationArguments) => problem(a.object as KafkaClientConfig) ?? 'invalid',
      },
    });
  };
}

/** KAFKA_COMPRESSION=zstd only where Node can compress it. */
function CodecAvailable() {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'codecAvailable', target: target.constructor, propertyName: property,
      validator: {
        validate: (v: unknown) => v !== 'zstd' || nodeHasZstd(),
        defaultMessage: () =>
          `KAFKA_COMPRESSION=zstd needs Node's zlib zstd (Node >= 22.15), and this is Node ${process.versions.node}: run the Node the project pins (tools/dev/ensure-node.sh, the images), or choose lz4`,
      },
    });
}
