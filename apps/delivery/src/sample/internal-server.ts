import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '@hookstream/platform';
import { INTERNAL_TOKEN_HEADER, isInternalToken } from '@hookstream/webhooks';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { DeliveryConfig } from '../delivery.config';
import { SampleError, SampleService } from './sample.service';

/**
 * The internal API (`/internal/v1/…`, for control-api) on a listener of its own,
 * DELIVERY_INTERNAL_HOST:DELIVERY_INTERNAL_PORT — loopback by default — apart from the health
 * and metrics port, which must be reachable by probes. Every route also needs the internal token
 * (an HMAC of SECRETS_KEY), so exposing the port (e.g. to control-api's pods) is not enough.
 */
@Injectable()
export class InternalServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(InternalServer.name);
  private server?: FastifyInstance;

  constructor(
    private readonly sample: SampleService,
    @Inject(APP_CONFIG) private readonly config: DeliveryConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const server = Fastify({ bodyLimit: 16 * 1024 });
    server.addHook('onRequest', async (req, reply) => {
      const value = req.headers[INTERNAL_TOKEN_HEADER];
      if (!isInternalToken(typeof value === 'string' ? value : undefined, this.config.SECRETS_KEY)) {
        await reply.code(401).send({ error: { code: 'unauthorized', message: `missing or wrong ${INTERNAL_TOKEN_HEADER} header` } });
      }
    });
    server.post<{ Params: { endpointId: string } }>('/internal/v1/endpoints/:endpointId/sample', async (req, reply) => {
      try {
        return await this.sample.send(req.params.endpointId, req.body);
      } catch (err) {
        if (!(err instanceof SampleError)) throw err;
        return reply.code(err.status).send({ error: { code: err.code, message: err.message } });
      }
    });
    await server.listen({ host: this.config.DELIVERY_INTERNAL_HOST, port: this.config.DELIVERY_INTERNAL_PORT });
    this.server = server;
    const { address, port } = this.address();
    this.log.log(`internal API listening on ${address}:${port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }

  /** Where it listens (port 0 in the config picks a free one). */
  address(): AddressInfo {
    const a = this.server?.server.address();
    if (!a || typeof a === 'string') throw new Error('the internal API is not listening');
    return a;
  }
}
