import { createServer, connect, type AddressInfo } from 'node:net';
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSRequestTimeoutError } from 'kafkajs';
import { Client, DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { classifyFailure, isTransientFailure } from './failure-classifier';

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function pgError(code: string, message: string): DatabaseError {
  const e = new DatabaseError(message, message.length, 'error');
  e.code = code;
  return e;
}

/** The Kafka protocol errors as kafkajs builds them from a broker's error code. */
function kafkaProtocol(type: string, retriable: boolean): KafkaJSProtocolError {
  return new KafkaJSProtocolError({ type, code: 0, retriable, message: type } as unknown as Error);
}

describe('classifyFailure', () => {
  it('a real node-postgres connect to a closed port is transient (the server is down)', async () => {
    const port = await closedPort();
    const client = new Client({ host: '127.0.0.1', port, user: 'x', database: 'x', connectionTimeoutMillis: 2000 });
    const err = await client.connect().then(() => undefined, (e: unknown) => e);
    expect(err).toBeDefined();
    const c = classifyFailure(err);
    expect(c.transient).toBe(true);
    expect(c.reason).toContain('ECONNREFUSED');
  });

  it('a socket reset mid-query is transient', async () => {
    const srv = createServer((s) => s.destroy());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as AddressInfo).port;
    const client = new Client({ host: '127.0.0.1', port, user: 'x', database: 'x', connectionTimeoutMillis: 2000 });
    const err = await client.connect().then(() => undefined, (e: unknown) => e);
    await new Promise<void>((r) => srv.close(() => r()));
    expect(isTransientFailure(err)).toBe(true);
  });

  it.each([
    ['57P01', 'terminating connection due to administrator command'],
    ['57P03', 'the database system is starting up'],
    ['53300', 'sorry, too many clients already'],
    ['08006', 'connection failure'],
    ['08001', 'unable to connect'],
    ['40P01', 'deadlock detected'],
    ['26000', 'prepared statement "hs_0123" does not exist'],
  ])('PostgreSQL %s (%s) is transient, also wrapped by TypeORM', (code, message) => {
    const raw = pgError(code, message);
    expect(classifyFailure(raw)).toMatchObject({ transient: true, dependency: 'postgres' });
    const wrapped = new QueryFailedError('INSERT …', [], raw);
    expect(classifyFailure(wrapped)).toMatchObject({ transient: true, dependency: 'postgres' });
  });

  it.each([
    ['23505', 'duplicate key value violates unique constraint'],
    ['22P02', 'invalid input syntax for type uuid'],
    ['23502', 'null value in column violates not-null constraint'],
    ['22001', 'value too long for type character varying(10)'],
  ])('PostgreSQL %s (%s) is the message’s own failure', (code, message) => {
    expect(classifyFailure(new QueryFailedError('INSERT …', [], pgError(code, message))).transient).toBe(false);
  });

  it('node-postgres messages of a server that went away are transient', () => {
    expect(classifyFailure(new Error('Connection terminated unexpectedly'))).toMatchObject({ transient: true, dependency: 'postgres' });
    expect(classifyFailure(new Error('timeout exceeded when trying to connect'))).toMatchObject({ transient: true, dependency: 'postgres' });
  });

  it('Kafka: broker unavailable, not leader, request timeout, coordinator loading are transient', () => {
    const unavailable = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(classifyFailure(unavailable)).toMatchObject({ transient: true, dependency: 'kafka' });
    expect(classifyFailure(kafkaProtocol('NOT_LEADER_FOR_PARTITION', true))).toMatchObject({ transient: true, dependency: 'kafka' });
    expect(classifyFailure(kafkaProtocol('COORDINATOR_LOAD_IN_PROGRESS', true))).toMatchObject({ transient: true, dependency: 'kafka' });
    expect(classifyFailure(new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out'))).toMatchObject({ transient: true, dependency: 'kafka' });
    // kafkajs gives up after its own retries and wraps the cause
    const exhausted = new KafkaJSNumberOfRetriesExceeded(unavailable, { retryCount: 5, retryTime: 3000 });
    expect(classifyFailure(exhausted)).toMatchObject({ transient: true, dependency: 'kafka' });
  });

  it('the producer’s own "unavailable" (no ack in time, not connected) is transient', () => {
    class ProducerUnavailableError extends Error {
      override readonly name = 'ProducerUnavailableError';
    }
    expect(classifyFailure(new ProducerUnavailableError('Kafka did not acknowledge within 5000 ms'))).toMatchObject({ transient: true, dependency: 'kafka' });
    // …unless what it wraps is a verdict about the message
    // (as kafkajs' retrier bails out: the protocol error becomes the cause)
    const protocol = kafkaProtocol('MESSAGE_TOO_LARGE', false);
    const tooLarge = new ProducerUnavailableError('Kafka produce failed', { cause: Object.assign(new KafkaJSNonRetriableError(protocol), { cause: protocol }) });
    expect(classifyFailure(tooLarge).transient).toBe(false);
  });

  it('a non-retriable Kafka protocol error is not transient', () => {
    expect(classifyFailure(kafkaProtocol('INVALID_REQUEST', false)).transient).toBe(false);
  });

  it('poison: plain errors, PermanentMessageError, type errors, non-errors', () => {
    class PermanentMessageError extends Error {
      override readonly name = 'PermanentMessageError';
    }
    expect(isTransientFailure(new Error('boom'))).toBe(false);
    expect(isTransientFailure(new TypeError("Cannot read properties of undefined (reading 'email')"))).toBe(false);
    expect(isTransientFailure(new RangeError('Maximum call stack size exceeded'))).toBe(false);
    // a permanent verdict wins over a transient-looking cause
    expect(isTransientFailure(new PermanentMessageError('bad', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }))).toBe(false);
    expect(isTransientFailure('a string')).toBe(false);
    expect(isTransientFailure(undefined)).toBe(false);
    expect(isTransientFailure(null)).toBe(false);
  });

  it('a real socket refused by a closed port wrapped in an AggregateError (happy eyeballs) is transient', async () => {
    const port = await closedPort();
    const err = await new Promise<unknown>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.on('error', resolve);
    });
    expect(classifyFailure(new AggregateError([err], 'all attempts failed'))).toMatchObject({ transient: true, dependency: 'network' });
  });

  it('a cyclic cause chain terminates', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isTransientFailure(a)).toBe(false);
  });
});
