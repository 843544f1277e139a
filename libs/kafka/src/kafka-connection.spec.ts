import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { noDelaySocketFactory } from './kafka-connection';

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
