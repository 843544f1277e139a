import { Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '@hookstream/platform';
import { destinationPolicy } from '@hookstream/webhooks';
import type { DeliveryConfig } from '../delivery.config';
import { OutboundClient } from './outbound-client';
import { systemResolver, type Resolver } from './safe-lookup';

/** The DNS resolver outbound connections use; tests point names at local receivers with it. */
export const DNS_RESOLVER = Symbol('DNS_RESOLVER');

export function outboundClientFor(config: DeliveryConfig, resolve: Resolver = systemResolver): OutboundClient {
  const destination = destinationPolicy({ allowHttp: config.DELIVERY_ALLOW_HTTP, allowedPorts: config.DELIVERY_ALLOWED_PORTS, allowedCidrs: config.DELIVERY_ALLOWED_CIDRS });
  return new OutboundClient({
    policy: destination.url,
    allowList: destination.allowList,
    connectTimeoutMs: config.DELIVERY_CONNECT_TIMEOUT_MS,
    timeoutMs: config.DELIVERY_TIMEOUT_MS,
    resolve,
  });
}

@Injectable()
class OutboundShutdown implements OnApplicationShutdown {
  constructor(@Inject(OutboundClient) private readonly client: OutboundClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

@Module({
  providers: [
    { provide: DNS_RESOLVER, useValue: systemResolver },
    { provide: OutboundClient, inject: [APP_CONFIG, DNS_RESOLVER], useFactory: (c: DeliveryConfig, r: Resolver) => outboundClientFor(c, r) },
    OutboundShutdown,
  ],
  exports: [OutboundClient],
})
export class OutboundModule {}
