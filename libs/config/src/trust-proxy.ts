import { isIP } from 'node:net';
import { registerDecorator, type ValidationOptions } from 'class-validator';

/** Named ranges proxy-addr (Fastify's trustProxy) understands besides addresses and CIDRs. */
const NAMED_RANGES: ReadonlySet<string> = new Set(['loopback', 'linklocal', 'uniquelocal']);

function problemOf(item: string): string | null {
  if (NAMED_RANGES.has(item)) return null;
  const [address, prefix, ...rest] = item.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return `"${item}" is not an IP address, a CIDR or one of loopback, linklocal, uniquelocal`;
  if (prefix === undefined) return null;
  const bits = Number(prefix);
  const max = family === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(prefix) && bits <= max ? null : `"${item}" has a bad prefix length (0-${max})`;
}

/** The proxies to trust from a `TRUST_PROXY` value: false (trust none) or the list of addresses/CIDRs. */
export function parseTrustProxy(value: string): false | string[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return items.length === 0 ? false : items;
}

/** Every item of a comma-separated list is an IP address, a CIDR or a named range. */
export function IsProxyList(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isProxyList',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && (parseTrustProxy(value) || []).every((i) => problemOf(i) === null),
        defaultMessage: (args) => {
          const bad = typeof args?.value === 'string' ? (parseTrustProxy(args.value) || []).map(problemOf).filter((p) => p !== null) : ['not a string'];
          return `${args?.property ?? 'TRUST_PROXY'} must be empty (trust no proxy) or a comma-separated list of proxy addresses/CIDRs, e.g. 10.0.0.0/8,127.0.0.1: ${bad.join('; ')}`;
        },
      },
    });
  };
}
