import { isPermanentKafkaBootError, retryKafkaBootStep } from './boot-retry';
import { KafkaAccessError } from './kafka-connection';

describe('retryKafkaBootStep: a boot step that needs Kafka', () => {
  it('waits out a cluster that is not there yet, logging each wait, and returns the result', async () => {
    const logs: string[] = [];
    let calls = 0;
    let cleanups = 0;
    const result = await retryKafkaBootStep(async () => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { name: 'KafkaJSConnectionError' });
      if (calls === 2) throw new Error('KAFKA_REPLICATION_FACTOR=3 but the cluster at 127.0.0.1:9092 has 2 broker(s): lower it or add brokers');
      return 'ready';
    }, { what: 'use Kafka', log: (m) => logs.push(m), baseMs: 1, onFailure: async () => void cleanups++ });
    expect(result).toBe('ready');
    expect(calls).toBe(3);
    expect(cleanups).toBe(2);
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatch(/^could not use Kafka yet \(attempt 1, 0 s\): Connection error: connect ECONNREFUSED .* retrying in 1 ms; not ready until then$/);
    expect(logs[1]).toMatch(/attempt 2.*has 2 broker\(s\).*retrying in 2 ms/);
  });

  it('stops at once on a configuration error (refused login, untrusted certificate), without retrying', async () => {
    let calls = 0;
    const refused = new KafkaAccessError('Kafka at b:9093 refused the SASL login: … Check KAFKA_SASL_PASSWORD', true);
    await expect(retryKafkaBootStep(async () => {
      calls++;
      throw refused;
    }, { what: 'use Kafka', log: () => undefined, baseMs: 1 })).rejects.toBe(refused);
    expect(calls).toBe(1);
  });

  it('tells configuration errors from conditions that pass by themselves', () => {
    expect(isPermanentKafkaBootError(new KafkaAccessError('refused the SASL login', true))).toBe(true);
    expect(isPermanentKafkaBootError(new KafkaAccessError('is not usable: connect ECONNREFUSED', false))).toBe(false);
    expect(isPermanentKafkaBootError(Object.assign(new Error('auth'), { name: 'KafkaJSSASLAuthenticationError' }))).toBe(true);
    expect(isPermanentKafkaBootError(Object.assign(new Error('Not authorized to access topics'), { name: 'KafkaJSProtocolError', type: 'TOPIC_AUTHORIZATION_FAILED' }))).toBe(true);
    expect(isPermanentKafkaBootError(Object.assign(new Error('The coordinator is loading'), { name: 'KafkaJSProtocolError', type: 'COORDINATOR_LOAD_IN_PROGRESS' }))).toBe(false);
    expect(isPermanentKafkaBootError(Object.assign(new Error('Timed out while waiting for topic leaders'), { name: 'KafkaJSTimeout' }))).toBe(false);
  });

  it('stops after a few closed connections in a row (a plaintext client on a TLS listener), not at the first', async () => {
    let calls = 0;
    const logs: string[] = [];
    const closed = new KafkaAccessError('Kafka at b:9093 (plaintext): the broker closed the connection before answering … set KAFKA_SSL=true', false, { suspectSetting: true });
    await expect(retryKafkaBootStep(async () => {
      calls++;
      throw closed;
    }, { what: 'use Kafka', log: (m) => logs.push(m), baseMs: 1 })).rejects.toBe(closed);
    expect(calls).toBe(3);
    expect(logs).toHaveLength(2);

    // Interleaved with other transient failures, it is a broker coming and going: waited for.
    calls = 0;
    const refused = new KafkaAccessError('is not usable: connect ECONNREFUSED', false);
    await expect(retryKafkaBootStep(async () => {
      calls++;
      if (calls > 6) return 'up';
      throw calls % 2 === 0 ? refused : closed;
    }, { what: 'use Kafka', log: () => undefined, baseMs: 1 })).resolves.toBe('up');
  });
});
