import { promises as dns, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { checkResolved, type AllowList, type HostLookup } from '@hookstream/webhooks';

/** Resolves a host name to every address it has (injectable so tests can point a name anywhere). */
export type Resolver = HostLookup;

export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/** The destination is not a public unicast address (and not allow-listed): nothing was sent. */
export class DestinationRefusedError extends Error {
  override readonly name = 'DestinationRefusedError';
  readonly code = 'HOOKSTREAM_DESTINATION_REFUSED';
  constructor(message: string) {
    super(message);
  }
}

/** Every answer must pass: one internal address among public ones is enough to refuse the name. */
export async function resolveChecked(hostname: string, resolve: Resolver, allowList: AllowList): Promise<LookupAddress[]> {
  // The same classifier control-api uses at save time (`@hookstream/webhooks`).
  const verdict = await checkResolved(hostname, resolve, allowList);
  if (!verdict.ok) throw new DestinationRefusedError(`refused: ${verdict.message}`);
  return verdict.answers.map((a) => ({ address: a.address, family: a.family }));
}

/**
 * A `lookup` for `net.connect`/`tls.connect` (via undici's connector): the socket connects to
 * exactly the addresses vetted here, so there is no second resolution an attacker's DNS could
 * answer differently (DNS rebinding). Literal IPs never reach a lookup; the client checks them
 * before the request.
 */
export function safeLookup(resolve: Resolver, allowList: AllowList): LookupFunction {
  return (hostname, options, callback) => {
    resolveChecked(hostname, resolve, allowList).then(
      (answers) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const wanted = family === 4 || family === 6 ? answers.filter((a) => a.family === family) : answers;
        if (wanted.length === 0) callback(new DestinationRefusedError(`${hostname} has no IPv${String(family)} address`), '');
        else if (options.all) callback(null, wanted);
        else callback(null, wanted[0].address, wanted[0].family);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), ''),
    );
  };
}
