/**
 * Tells an outage of a dependency from a message that fails on its own.
 *
 * Every consumer asks this one function what an error means: a transient infrastructure error
 * (PostgreSQL or Kafka unreachable, restarting, out of connections) says nothing about the message,
 * so the message is held and retried until the dependency is back; anything else is the message's
 * own failure and, once it repeats, goes to the dead-letter topic. Pure: errors are recognised by
 * their shape (`code`, `name`, `type`, `retriable`, `cause` …), never by importing pg or kafkajs.
 */
export type FailureDependency = 'postgres' | 'kafka' | 'network';

export type FailureClass =
  | { transient: true; dependency: FailureDependency; reason: string }
  | { transient: false; reason: string };

/** Node socket errors that mean "the other side is not there (yet)". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
  'EHOSTDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'ESOCKETTIMEDOUT', 'ECONNCLOSED',
]);

/**
 * PostgreSQL SQLSTATEs of an unavailable or overloaded server (class 08 connection exception,
 * 53 insufficient resources, 57P01-57P03 shutdown/cannot connect now) and of a transaction the
 * server aborted for concurrency (40001 serialization failure, 40P01 deadlock), and 26000, a named
 * statement the server session no longer holds (a pooler in between; the statement is prepared
 * again on its next run, libs/db "Named statements"): retrying the same statement later succeeds,
 * and it is never the message's fault.
 */
function isTransientSqlState(code: string): boolean {
  return /^08[0-9A-Z]{3}$/.test(code) || /^53[0-9A-Z]{3}$/.test(code) || ['57P01', '57P02', '57P03', '40001', '40P01', '26000'].includes(code);
}

/** Messages of node-postgres / pg-pool / TypeORM when the server went away or never answered. */
const PG_TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error and is not queryable/i,
  /terminating connection due to administrator command/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /sorry, too many clients already/i,
  /remaining connection slots are reserved/i,
  /server closed the connection unexpectedly/i,
];

/** kafkajs errors that mean the cluster is unreachable or busy, whatever their `retriable` flag. */
const KAFKA_TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError', 'KafkaJSLockTimeout', 'KafkaJSMetadataNotLoaded', 'KafkaJSStaleTopicMetadataAssignment',
]);

/**
 * Protocol error types a broker answers when the message itself is wrong: retrying never helps.
 * (kafkajs marks most of them non-retriable anyway; listed so a wrapper cannot hide them.)
 */
const KAFKA_PERMANENT_TYPES = new Set([
  'MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TOPIC_EXCEPTION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
]);

interface ErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
  driverError?: unknown;
  originalError?: unknown;
  errors?: unknown;
  address?: unknown;
  port?: unknown;
  transient?: unknown;
}

function shape(e: unknown): ErrorShape | undefined {
  return typeof e === 'object' && e !== null ? (e as ErrorShape) : undefined;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** The error and everything it wraps (cause, TypeORM's driverError, AggregateError's errors), depth-first, bounded. */
function chain(err: unknown): ErrorShape[] {
  const out: ErrorShape[] = [];
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number) => {
    const s = shape(e);
    if (!s || seen.has(e) || depth > 8 || out.length > 32) return;
    seen.add(e);
    out.push(s);
    visit(s.cause, depth + 1);
    visit(s.driverError, depth + 1);
    visit(s.originalError, depth + 1);
    if (Array.isArray(s.errors)) for (const inner of s.errors) visit(inner, depth + 1);
  };
  visit(err, 0);
  return out;
}

function describe(s: ErrorShape): string {
  const name = str(s.name) || 'Error';
  const code = str(s.code);
  const where = str(s.address) ? ` ${str(s.address)}${str(s.port) ? `:${str(s.port)}` : ''}` : '';
  return `${name}${code ? ` ${code}` : ''}${where}: ${str(s.message)}`.slice(0, 300);
}

function isKafkaName(s: ErrorShape): boolean {
  const name = str(s.name);
  return name.startsWith('KafkaJS') || name === 'ProducerUnavailableError';
}

export function classifyFailure(err: unknown): FailureClass {
  const links = chain(err);
  if (links.length === 0) return { transient: false, reason: String(err) };
  const viaKafka = links.some(isKafkaName);

  // A verdict about the message itself wins over whatever wrapped it.
  for (const s of links) {
    const name = str(s.name);
    if (name === 'PermanentMessageError') return { transient: false, reason: describe(s) };
    if (KAFKA_PERMANENT_TYPES.has(str(s.type))) return { transient: false, reason: describe(s) };
  }

  for (const s of links) {
    const name = str(s.name);
    const code = str(s.code);
    const message = str(s.message);
    // An error that says so itself (e.g. a repository's own "database unavailable").
    if (s.transient === true) return { transient: true, dependency: viaKafka ? 'kafka' : 'network', reason: describe(s) };
    if (code.length === 5 && isTransientSqlState(code)) return { transient: true, dependency: 'postgres', reason: describe(s) };
    if (PG_TRANSIENT_MESSAGES.some((re) => re.test(message))) return { transient: true, dependency: 'postgres', reason: describe(s) };
    if (KAFKA_TRANSIENT_NAMES.has(name)) return { transient: true, dependency: 'kafka', reason: describe(s) };
    if (name.startsWith('KafkaJS') && s.retriable === true) return { transient: true, dependency: 'kafka', reason: describe(s) };
    if (name === 'ProducerUnavailableError') return { transient: true, dependency: 'kafka', reason: describe(s) };
    if (NETWORK_CODES.has(code)) return { transient: true, dependency: viaKafka ? 'kafka' : 'network', reason: describe(s) };
  }
  return { transient: false, reason: describe(links[0]) };
}

/** Shorthand for `classifyFailure(err).transient`. */
export function isTransientFailure(err: unknown): boolean {
  return classifyFailure(err).transient;
}
