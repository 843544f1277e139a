import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { KafkaClientConfig, loadConfig } from '@hookstream/config';
import { createKafkaClient, fetchTuning, kafkaConnectionOptions, noDelaySocketFactory } from './kafka-connection';

describe('noDelaySocketFactory', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('connects with Nagle off and keep-alive on, and calls onConnect', async () => {
    const noDelay = jest.spyOn(Socket.prototype, 'setNoDelay');
    const keepAlive = jest.spyOn(Socket.prototype, 'setKeepAlive');
    try {
      const socket = await new Promise<Socket>((resolve) => {
        const s = noDelaySocketFactory({ host: '127.0.0.1', port, ssl: undefined as never, onConnect: () => resolve(s as Socket) });
      });
      expect(noDelay.mock.contexts).toContain(socket);
      expect(noDelay.mock.calls.some(([on]) => on !== false)).toBe(true);
      expect(keepAlive).toHaveBeenCalledWith(true, 60_000);
      socket.destroy();
    } finally {
      noDelay.mockRestore();
      keepAlive.mockRestore();
    }
  });
});

describe('kafkaConnectionOptions → createKafkaClient → fetchTuning', () => {
  it('carries KAFKA_COMMIT_INTERVAL_MS to the group transports built on the client (0 by default)', () => {
    const tuned = createKafkaClient(kafkaConnectionOptions(loadConfig(KafkaClientConfig, { KAFKA_COMMIT_INTERVAL_MS: '250' }), 'spec'));
    expect(fetchTuning(tuned).commitIntervalMs).toBe(250);
    const plain = createKafkaClient(kafkaConnectionOptions(loadConfig(KafkaClientConfig, {}), 'spec'));
    expect(fetchTuning(plain).commitIntervalMs).toBe(0);
    expect(() => loadConfig(KafkaClientConfig, { KAFKA_COMMIT_INTERVAL_MS: '-1' })).toThrow(/KAFKA_COMMIT_INTERVAL_MS/);
  });
});
