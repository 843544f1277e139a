import { HttpStatus, Inject, Injectable, Optional } from '@nestjs/common';
import { promises as dns } from 'node:dns';
import { APP_CONFIG } from '@hookstream/platform';
import { checkDestination, checkResolved, destinationPolicy, type DestinationPolicy, type HostLookup, type UrlPolicy } from '@hookstream/webhooks';
import type { ControlApiConfig } from '../control-api.config';
import { ApiError, ApiErrorCode } from './api-error';
import { errorMessage } from '@hookstream/contracts';

/** The DNS lookup used for save-time warnings; tests give their own. */
export const HOST_LOOKUP = Symbol('HOST_LOOKUP');
export const systemHostLookup: HostLookup = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/** Bound on the save-time lookup: a slow DNS must not hold the API answer. */
export const SAVE_TIME_LOOKUP_TIMEOUT_MS = 3000;

export type UrlWarningCode = 'resolves_to_refused_address' | 'does_not_resolve';

export interface UrlWarning {
  field: 'url';
  code: UrlWarningCode;
  message: string;
}

/**
 * Refuses endpoint URLs at save time, with reasons a user can act on, using the classifier the
 * delivery app applies on every connection (`checkDestination` / `checkResolved` in
 * `@hookstream/webhooks`). A host name is resolved too: if any answer is a refused address the
 * URL is still saved (DNS may change before the first delivery) but the answer carries a warning,
 * since delivery will refuse to connect while the name resolves that way.
 */
@Injectable()
export class UrlPolicyService {
  readonly destination: DestinationPolicy;

  constructor(
    @Inject(APP_CONFIG) config: ControlApiConfig,
    @Optional() @Inject(HOST_LOOKUP) private readonly lookup: HostLookup = systemHostLookup,
  ) {
    this.destination = destinationPolicy({ allowHttp: config.ENDPOINT_ALLOW_HTTP, allowedPorts: config.ENDPOINT_ALLOWED_PORTS, allowedCidrs: config.ENDPOINT_ALLOWED_CIDRS });
  }

  get policy(): UrlPolicy {
    return this.destination.url;
  }

  /**
   * Returns the URL as it will be stored; throws 400 invalid_url with every reason.
   * `override` is for the local demo seed only (an http inbox on loopback).
   */
  assertAllowed(raw: string, override?: { policy: UrlPolicy; anyAddress: boolean }): string {
    const checked = checkDestination(raw, { url: override?.policy ?? this.destination.url, allowList: this.destination.allowList });
    if (!checked.ok) {
      const refusedAddress = checked.reasons.every((r) => r.code === 'address_not_allowed');
      if (refusedAddress && override?.anyAddress) return raw;
      const reasons = checked.reasons.map((r) => (r.code === 'address_not_allowed' ? { ...r, message: r.message.replace('allow-listed ranges', 'ranges in ENDPOINT_ALLOWED_CIDRS') } : r));
      throw new ApiError(
        ApiErrorCode.invalidUrl,
        `endpoint URL refused: ${reasons.map((r) => r.message).join('; ')}`,
        HttpStatus.BAD_REQUEST,
        reasons.map((r) => ({ field: 'url', code: r.code, message: r.message })),
      );
    }
    return raw;
  }

  /**
   * Save-time look at what a host name resolves to: a warning when any answer is a refused
   * address (or the name does not resolve), nothing for a literal IP (already checked) or a
   * name whose every answer delivery would connect to.
   */
  async warnings(raw: string): Promise<UrlWarning[]> {
    const checked = checkDestination(raw, this.destination);
    if (!checked.ok || checked.literal !== undefined) return [];
    const host = checked.url.hostname;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no DNS answer within ${SAVE_TIME_LOOKUP_TIMEOUT_MS} ms`)), SAVE_TIME_LOOKUP_TIMEOUT_MS);
      });
      const verdict = await Promise.race([checkResolved(host, this.lookup, this.destination.allowList), timeout]);
      if (verdict.ok) return [];
      if (verdict.answers.length === 0) return [{ field: 'url', code: 'does_not_resolve', message: `${host} has no addresses; deliveries will fail until it resolves` }];
      return [
        {
          field: 'url',
          code: 'resolves_to_refused_address',
          message: `saved, but ${verdict.message}: deliveries will be refused while it resolves this way (deliveries only go to public addresses or ranges in ENDPOINT_ALLOWED_CIDRS)`,
        },
      ];
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (errorMessage(err));
      return [{ field: 'url', code: 'does_not_resolve', message: `${host} could not be resolved (${reason}); deliveries will fail until it resolves` }];
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
