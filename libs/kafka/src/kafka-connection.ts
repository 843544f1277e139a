import { describeKafkaSecurity, KafkaClientConfig, kafkaClientSecurity, loadConfig, type KafkaClientSecurity } from '@hookstream/config';
import { Kafka, logLevel, type ISocketFactory, type LogEntry, type SASLOptions } from 'kafkajs';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { errorMessage } from '@hookstream/contracts';
import { compressionType, registerKafkaCodecs, type KafkaCompression } from './compression';
import { countKafkaRequests } from './request-counter';

export interface KafkaConnectionOptions extends KafkaClientSecurity {
  brokers: string[];
  clientId: string;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Consumer fetch tuning of the clients built from this one (see `fetchTuning`). */
  fetch?: Partial<FetchTuning>;
  /** The codec `CoalescingProducer`s built from this client compress with (KAFKA_COMPRESSION; default none). */
  compression?: KafkaCompression;
  /** Receives kafkajs's own log lines (warn and above) so they end up in the app's structured log. */
  log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra: Record<string, unknown>) => void;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * kafkajs's own socket factory, plus TCP_NODELAY. Node's sockets keep Nagle's algorithm on, and
 * kafkajs never turns it off: a request written while an earlier one on the same connection is
 * still unacknowledged (concurrent commits of several partitions, a produce request larger than one
 * segment) waits for the peer's delayed ACK, up to 40 ms on Linux, on every hop of the pipeline.
 * The broker's side already sets TCP_NODELAY; node-postgres and undici set it too.
 */
export const noDelaySocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : netConnect({ host, port, noDelay: true }, onConnect);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

/**
 * The single place kafkajs's client is constructed; the rest of the code sees this lib's interfaces.
 * Every producer, consumer and admin built from it counts its requests into `kafkaRequests`.
 */
export function createKafkaClient(opts: KafkaConnectionOptions): Kafka {
  registerKafkaCodecs();
  const kafka = countKafkaRequests(new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    ...(opts.ssl ? { ssl: opts.ssl } : {}),
    ...(opts.sasl ? { sasl: opts.sasl as SASLOptions } : {}),
    socketFactory: noDelaySocketFactory,
    connectionTimeout: opts.connectionTimeoutMs ?? 3000,
    requestTimeout: opts.requestTimeoutMs ?? 30000,
    retry: { initialRetryTime: 200, retries: 5, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      if (!opts.log) return;
      const { message, ...extra } = entry.log;
      opts.log(LEVELS[entry.level] ?? 'info', `kafka: ${message}`, { namespace: entry.namespace, ...extra });
    },
  }));
  tunings.set(kafka, { ...DEFAULT_FETCH_TUNING, ...opts.fetch });
  if (opts.compression && opts.compression !== 'none') compressions.set(kafka, opts.compression);
  return kafka;
}

/** How the consumers built from a client fetch (from `KAFKA_FETCH_LINGER_MS`, `KAFKA_FOLLOWER_MAX_WAIT_MS`, `KAFKA_MERGE_PARTITIONS`). */
export interface FetchTuning {
  /** Pause of a group transport before its next fetch after a small batch (0: none). */
  lingerMs: number;
  /** `maxWaitTimeInMs` of the follower consumers (config topic, live-feed tail). */
  followerMaxWaitMs: number;
  /** Group transports hand batch handlers one call for the batches of all partitions of a topic started together. */
  mergePartitions: boolean;
  /** Least time between two offset commits of a group transport's consumer (0: after each batch, awaited). */
  commitIntervalMs: number;
}

export const DEFAULT_FETCH_TUNING: Readonly<FetchTuning> = Object.freeze({ lingerMs: 10, followerMaxWaitMs: 500, mergePartitions: true, commitIntervalMs: 0 });

const tunings = new WeakMap<Kafka, FetchTuning>();
const compressions = new WeakMap<Kafka, KafkaCompression>();

/** The codec producers built from `kafka` compress with, and its kafkajs type (none for a client not built by `createKafkaClient`). */
export function producerCompression(kafka: Kafka): { name: KafkaCompression; type: ReturnType<typeof compressionType> } {
  const name = compressions.get(kafka) ?? 'none';
  return { name, type: compressionType(name) };
}

/** The fetch tuning `kafka` was built with (the defaults for a client not built by `createKafkaClient`). */
export function fetchTuning(kafka: Kafka): Readonly<FetchTuning> {
  return tunings.get(kafka) ?? DEFAULT_FETCH_TUNING;
}

/** Brokers, TLS and SASL from a validated config (apps, CLIs, tools): every client connects the same way. */
export function kafkaConnectionOptions(cfg: KafkaClientConfig, clientId: string): KafkaConnectionOptions {
  return {
    brokers: parseBrokers(cfg.KAFKA_BROKERS), clientId, ...kafkaClientSecurity(cfg),
    requestTimeoutMs: cfg.KAFKA_REQUEST_TIMEOUT_MS, connectionTimeoutMs: cfg.KAFKA_CONNECTION_TIMEOUT_MS,
    fetch: { lingerMs: cfg.KAFKA_FETCH_LINGER_MS, followerMaxWaitMs: cfg.KAFKA_FOLLOWER_MAX_WAIT_MS, mergePartitions: cfg.KAFKA_MERGE_PARTITIONS === 'true', commitIntervalMs: cfg.KAFKA_COMMIT_INTERVAL_MS },
    compression: cfg.KAFKA_COMPRESSION,
  };
}

export function parseBrokers(value: string): string[] {
  return value.split(',').map((b) => b.trim()).filter(Boolean);
}

/**
 * Kafka could not be used with the configured connection settings; the message names the variables
 * to fix. `permanent`: the settings are wrong (a refused login, an untrusted certificate, TLS
 * against plaintext) — retrying cannot help. Otherwise the cluster was not reachable or not
 * answering yet, which passes by itself.
 */
export class KafkaAccessError extends Error {
  override readonly name = 'KafkaAccessError';
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: {
      cause?: unknown;
      /**
       * Looks like a setting but could be a broker going away: the broker closed the connection
       * before answering (a plaintext client on a TLS listener does exactly this). A boot that
       * sees it several times in a row stops (`retryKafkaBootStep`).
       */
      suspectSetting?: boolean;
    },
  ) {
    super(message, options);
    this.suspectSetting = options?.suspectSetting === true;
  }

  readonly suspectSetting: boolean;
}

/**
 * Boot-time check: connects an admin client and asks for the cluster. A refused password, an
 * untrusted certificate or a TLS/plaintext mismatch becomes one message that names the variables
 * to fix, instead of a retry loop of kafkajs connection errors.
 */
export async function verifyKafkaAccess(kafka: Kafka, cfg: KafkaClientConfig, timeoutMs = 20000): Promise<{ brokers: number }> {
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([admin.connect(), timeout]);
    const c = await Promise.race([admin.describeCluster(), timeout]);
    return { brokers: c.brokers.length };
  } catch (err) {
    const problem = kafkaAccessProblem(err, cfg);
    throw new KafkaAccessError(problem.message, problem.permanent, { cause: err, suspectSetting: problem.suspectSetting });
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

/** Turns what kafkajs (or Node's TLS) reports into what the operator should change. */
export function explainKafkaAccessError(err: unknown, cfg: KafkaClientConfig): string {
  return kafkaAccessProblem(err, cfg).message;
}

/** The operator's message, and whether the settings are at fault (permanent) or the cluster was only not there yet. */
export function kafkaAccessProblem(err: unknown, cfg: KafkaClientConfig): { message: string; permanent: boolean; suspectSetting?: boolean } {
  const fix = (message: string) => ({ message, permanent: true });
  const name = err instanceof Error ? err.name : '';
  const msg = errorMessage(err);
  const cause = err instanceof Error && err.cause instanceof Error && !msg.includes(err.cause.message.trim()) ? ` (${err.cause.message.trim()})` : '';
  const where = `Kafka at ${cfg.KAFKA_BROKERS} (${describeKafkaSecurity(cfg)})`;
  if (name === 'KafkaJSSASLAuthenticationError' || /SASL .*authentication failed|Authentication failed/i.test(msg)) {
    return fix(`${where} refused the SASL login: ${msg.trim()}. Check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM (the user must exist for that mechanism on the cluster).`);
  }
  // An alert is the broker's side refusing the handshake (typically: no or an untrusted client certificate).
  if (/alert|handshake|wrong version number|EPROTO/i.test(msg + cause)) {
    return fix(`${where}: the broker refused the TLS handshake: ${msg.trim()}${cause}. If it requires a client certificate, set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE (signed by a CA the broker trusts); if its listener is plaintext, set KAFKA_SSL=false.`);
  }
  if (/certificate|self[- ]signed|unable to (get|verify)|CERT_|altnames|Hostname\/IP does not match/i.test(msg + cause)) {
    return fix(`${where}: the TLS certificate was not accepted: ${msg.trim()}${cause}. Set KAFKA_SSL_CA_FILE to the CA bundle that signed the brokers' certificates (and connect by a name or IP the certificate lists).`);
  }
  if (/unsupported SASL mechanism|UNSUPPORTED_SASL_MECHANISM|ILLEGAL_SASL_STATE/i.test(msg)) {
    return fix(`${where}: the broker does not accept KAFKA_SASL_MECHANISM=${cfg.KAFKA_SASL_MECHANISM}: ${msg}. Use a mechanism its listener enables, or unset KAFKA_SASL_MECHANISM for a listener without SASL.`);
  }
  // A TLS listener answers a plaintext client's first request by closing the connection.
  const closed = name === 'KafkaJSConnectionClosedError' || (err instanceof Error && err.cause instanceof Error && err.cause.name === 'KafkaJSConnectionClosedError');
  if (closed && cfg.KAFKA_SSL !== 'true') {
    return {
      message: `${where}: the broker closed the connection before answering: ${msg.trim()}${cause}. If its listener speaks TLS (SSL or SASL_SSL), set KAFKA_SSL=true (and KAFKA_SASL_MECHANISM for SASL_SSL); otherwise check KAFKA_BROKERS.`,
      permanent: false,
      suspectSetting: true,
    };
  }
  const hint = cfg.KAFKA_SSL === 'true'
    ? 'Check KAFKA_BROKERS, and that those listeners speak TLS (KAFKA_SSL=true)' + (cfg.KAFKA_SASL_MECHANISM ? ' with SASL (SASL_SSL)' : ' without SASL (SSL)')
    : 'Check KAFKA_BROKERS and that Kafka is running (npm run infra:up); a TLS or SASL listener needs KAFKA_SSL=true (and KAFKA_SASL_MECHANISM)';
  // Unreachable or not answering: a broker that is starting, restarting or electing looks the same.
  return { message: `${where} is not usable: ${msg.trim()}${cause}. ${hint}.`, permanent: false };
}

/** For CLIs and tools: a client from the environment's KAFKA_* variables (validated; throws ConfigValidationError). */
export function kafkaClientFromEnv(clientId: string, env: NodeJS.ProcessEnv = process.env): Kafka {
  return createKafkaClient(kafkaConnectionOptions(loadConfig(KafkaClientConfig, env), clientId));
}
