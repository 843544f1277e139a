import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

/** A local webhook receiver for tests: records every request; its answers can be scripted. */
export class Receiver {
  readonly received: Received[] = [];
  private server?: Server;
  respond: (r: Received) => number = () => 200;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = { headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
        this.received.push(r);
        res.writeHead(this.respond(r), { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    const server = this.server;
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
  }
}
