import ipaddr from 'ipaddr.js';

/**
 * SSRF policy for outbound deliveries, pure: the delivery app resolves the host, runs
 * `checkAddress` on every resolved address and connects to the checked address itself
 * (so a second DNS answer cannot swap in an internal one).
 */

// ---------------------------------------------------------------------------------------------
// URL policy
// ---------------------------------------------------------------------------------------------

export interface UrlPolicy {
  /** Plain http is refused unless allowed (local development, allow-listed internal receivers). */
  allowHttp: boolean;
  /** ActiveCampaign's rule is https on 443 only; 'any' is for development. */
  allowedPorts: readonly number[] | 'any';
  /** Defaults to 2048, the common URL limit of browsers and proxies. */
  maxLength?: number;
}

export const DEFAULT_URL_POLICY: UrlPolicy = Object.freeze({ allowHttp: false, allowedPorts: Object.freeze([443]) });

export type UrlProblemCode =
  | 'too_long'
  | 'invalid_characters'
  | 'invalid_percent_encoding'
  | 'unparseable'
  | 'scheme_not_allowed'
  | 'credentials_in_url'
  | 'missing_host'
  | 'port_not_allowed';

export interface UrlProblem {
  code: UrlProblemCode;
  message: string;
}

export type UrlCheck = { ok: true; url: URL; port: number } | { ok: false; reasons: UrlProblem[] };

/**
 * Alphanumerics plus ActiveCampaign's documented `$-_.+!*'(),` plus the characters URLs
 * need for structure (`:/?#[]@&=%~;`). Everything else — spaces, controls, quotes, `\`,
 * `<>{}|^` and any non-ASCII — is refused in the raw input, because URL parsers repair
 * those differently (a `\` becomes `/` in WHATWG but not elsewhere) and the difference
 * is what SSRF bypasses are made of. Non-ASCII hosts must be given in punycode.
 */
const URL_CHARS = /^[A-Za-z0-9$\-_.+!*'(),:/?#[\]@&=%~;]*$/;

export function checkUrl(raw: string, policy: UrlPolicy = DEFAULT_URL_POLICY): UrlCheck {
  const reasons: UrlProblem[] = [];
  const maxLength = policy.maxLength ?? 2048;
  if (raw.length > maxLength) reasons.push({ code: 'too_long', message: `URL is longer than ${maxLength} characters` });
  if (!URL_CHARS.test(raw)) {
    reasons.push({
      code: 'invalid_characters',
      message: "URL may contain only letters, digits, $-_.+!*'(), and :/?#[]@&=%~; (spaces, control and non-ASCII characters must be percent-encoded)",
    });
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(raw)) {
    reasons.push({ code: 'invalid_percent_encoding', message: '% must be followed by two hex digits' });
  }

  // The scheme is checked on the raw text: WHATWG would accept `https:host` or `https:/host`.
  const scheme = /^(https?):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    reasons.push({ code: 'scheme_not_allowed', message: 'URL must start with https://' + (policy.allowHttp ? ' or http://' : '') });
  } else if (scheme === 'http' && !policy.allowHttp) {
    reasons.push({ code: 'scheme_not_allowed', message: 'only https URLs are allowed' });
  }

  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    reasons.push({ code: 'unparseable', message: 'not a valid absolute URL' });
  }

  let port = 0;
  if (url && scheme !== undefined) {
    // Read from the raw authority: WHATWG silently drops an empty `user@`.
    const authority = raw.slice(scheme.length + 3).split(/[/?#]/, 1)[0];
    if (authority.includes('@') || url.username !== '' || url.password !== '') {
      reasons.push({ code: 'credentials_in_url', message: 'URL must not contain a user name or password' });
    }
    // `https:///x` parses with host "x"; an empty raw authority is refused instead.
    if (authority === '' || url.hostname === '') reasons.push({ code: 'missing_host', message: 'URL has no host' });
    port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
    if (policy.allowedPorts !== 'any' && !policy.allowedPorts.includes(port)) {
      reasons.push({ code: 'port_not_allowed', message: `port ${port} is not allowed (allowed: ${policy.allowedPorts.join(', ')})` });
    }
  }

  return reasons.length === 0 && url ? { ok: true, url, port } : { ok: false, reasons };
}

/** The IP address a URL names directly (brackets stripped), so it can be checked before any DNS. */
export function literalAddress(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return ipaddr.isValid(host) ? host : undefined;
}

// ---------------------------------------------------------------------------------------------
// Address classification
// ---------------------------------------------------------------------------------------------

export type RefusedRange =
  // IPv4
  | 'unspecified'
  | 'private'
  | 'carrierGradeNat'
  | 'loopback'
  | 'linkLocal'
  | 'ietfProtocolAssignments'
  | 'documentation'
  | 'benchmarking'
  | 'multicast'
  | 'reserved'
  | 'broadcast'
  | 'as112'
  | 'amt'
  // IPv6
  | 'ipv4Mapped'
  | 'ipv4Compatible'
  | 'ipv4Translated'
  | 'nat64'
  | 'discard'
  | 'teredo'
  | '6to4'
  | 'orchid'
  | 'orchid2'
  | 'droneRemoteId'
  | 'as112v6'
  | 'uniqueLocal'
  | 'siteLocal'
  | 'segmentRouting'
  | 'notGlobalUnicast';

export type AddressClass = 'public' | 'invalid' | RefusedRange;

/**
 * Ranges named explicitly, first match wins (more specific before less specific), so
 * the answer does not depend on the order or naming of ipaddr.js's own table. ipaddr's
 * `range()` is still consulted afterwards for anything it knows that this table lacks.
 */
const RANGES: readonly (readonly [string, RefusedRange])[] = [
  // IPv4 (RFC 6890 special-purpose registry)
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'carrierGradeNat'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'linkLocal'], // includes the cloud metadata service 169.254.169.254
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'ietfProtocolAssignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'], // deprecated 6to4 relay anycast
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
  // IPv6
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::ffff:0:0/96', 'ipv4Mapped'],
  ['::/96', 'ipv4Compatible'],
  ['::ffff:0:0:0/96', 'ipv4Translated'],
  ['64:ff9b::/96', 'nat64'],
  ['64:ff9b:1::/48', 'nat64'],
  ['100::/64', 'discard'],
  ['2001::/32', 'teredo'],
  ['2001:2::/48', 'benchmarking'],
  ['2001:10::/28', 'orchid'],
  ['2001:20::/28', 'orchid2'],
  ['2001::/23', 'ietfProtocolAssignments'],
  ['2001:db8::/32', 'documentation'],
  ['2002::/16', '6to4'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'segmentRouting'],
  ['fc00::/7', 'uniqueLocal'],
  ['fe80::/10', 'linkLocal'],
  ['fec0::/10', 'siteLocal'],
  ['ff00::/8', 'multicast'],
];

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];
const PARSED_RANGES: readonly (readonly [Cidr, RefusedRange])[] = RANGES.map(([cidr, name]) => [ipaddr.parseCIDR(cidr), name]);
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

const IPADDR_NAMES: Readonly<Record<string, RefusedRange>> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'linkLocal',
  loopback: 'loopback',
  carrierGradeNat: 'carrierGradeNat',
  private: 'private',
  reserved: 'reserved',
  benchmarking: 'benchmarking',
  amt: 'amt',
  as112: 'as112',
  as112v6: 'as112v6',
  uniqueLocal: 'uniqueLocal',
  ipv4Mapped: 'ipv4Mapped',
  rfc6145: 'ipv4Translated',
  rfc6052: 'nat64',
  '6to4': '6to4',
  teredo: 'teredo',
  deprecatedOrchid: 'orchid',
  orchid2: 'orchid2',
  droneRemoteIdProtocolEntityTags: 'droneRemoteId',
  deprecatedSiteLocal: 'siteLocal',
  discard: 'discard',
  segmentRouting: 'segmentRouting',
};

function parseAddress(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  // ipaddr.js reads `::a.b.c.d` as IPv4-mapped; RFC 4291 makes it IPv4-compatible (::/96).
  const text = ip.trim().replace(/^::(?=\d+\.\d+\.\d+\.\d+(?:%.*)?$)/, '::0:');
  try {
    return ipaddr.parse(text);
  } catch {
    return undefined;
  }
}

function matches(addr: ipaddr.IPv4 | ipaddr.IPv6, [net, bits]: Cidr): boolean {
  return addr.kind() === net.kind() && addr.match(net, bits);
}

function classify(addr: ipaddr.IPv4 | ipaddr.IPv6): AddressClass {
  for (const [cidr, name] of PARSED_RANGES) if (matches(addr, cidr)) return name;
  const named = addr.range();
  if (named !== 'unicast') return IPADDR_NAMES[named] ?? 'reserved';
  // Only 2000::/3 is allocated for global unicast; anything else is unassigned space.
  if (addr instanceof ipaddr.IPv6 && !matches(addr, GLOBAL_UNICAST_V6)) return 'notGlobalUnicast';
  return 'public';
}

/**
 * 'public' or the name of the special range the address is in.
 *
 * Every IPv4-mapped (`::ffff:a.b.c.d`), NAT64, 6to4 and Teredo address is refused whatever
 * IPv4 address it embeds, public or not: a webhook receiver has no reason to publish such
 * an address, and the host's stack may turn it into a plain IPv4 connection that a check
 * of only the IPv6 form would let through. Refusing the whole range is simpler to reason
 * about than classifying each embedding; an operator can still allow-list one.
 *
 * IPv4 in the short or hex forms (`127.1`, `0x7f.0.0.1`) is classified by the address it
 * denotes, as the resolver and WHATWG URL parser would interpret it.
 */
export function classifyAddress(ip: string): AddressClass {
  const addr = parseAddress(ip);
  return addr ? classify(addr) : 'invalid';
}

export function isPublicUnicast(ip: string): boolean {
  return classifyAddress(ip) === 'public';
}

export class AllowListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AllowListError';
  }
}

/** Operator-configured exceptions (e.g. internal receivers in a private network). */
export class AllowList {
  private constructor(private readonly cidrs: readonly Cidr[]) {}

  static readonly empty = new AllowList([]);

  /**
   * Comma- or whitespace-separated CIDRs; a bare address means just that address.
   * IPv4 must be written as four decimal parts: ipaddr.js would read `10/8` as
   * 0.0.0.10/8, silently allowing the wrong network.
   */
  static parse(spec: string): AllowList {
    const entries = spec.split(/[\s,]+/).filter((e) => e !== '');
    const bad: string[] = [];
    const cidrs: Cidr[] = [];
    for (const entry of entries) {
      const text = entry.includes('/') ? entry : `${entry}/${entry.includes(':') ? 128 : 32}`;
      const isV4 = !text.includes(':');
      const valid = isV4 ? ipaddr.IPv4.isValidCIDRFourPartDecimal(text) : ipaddr.IPv6.isValidCIDR(text);
      if (!valid) {
        bad.push(entry);
        continue;
      }
      cidrs.push(ipaddr.parseCIDR(text));
    }
    if (bad.length > 0) {
      throw new AllowListError(`invalid CIDR in allow list: ${bad.join(', ')} (expected e.g. 10.0.0.0/8,::1/128)`);
    }
    return new AllowList(cidrs);
  }

  get size(): number {
    return this.cidrs.length;
  }

  /** IPv4-mapped addresses are also matched against IPv4 entries: they reach the same host. */
  allows(ip: string): boolean {
    const addr = parseAddress(ip);
    if (!addr) return false;
    const forms: (ipaddr.IPv4 | ipaddr.IPv6)[] = [addr];
    if (addr instanceof ipaddr.IPv6 && addr.isIPv4MappedAddress()) forms.push(addr.toIPv4Address());
    return this.cidrs.some((cidr) => forms.some((form) => matches(form, cidr)));
  }
}

export type AddressCheck =
  | { ok: true; range: AddressClass; allowListed: boolean }
  | { ok: false; refused: true; range: AddressClass };

/** Decision for one resolved address: public ones pass; others only when allow-listed. */
export function checkAddress(ip: string, allowList: AllowList = AllowList.empty): AddressCheck {
  const range = classifyAddress(ip);
  if (range === 'invalid') return { ok: false, refused: true, range };
  if (range === 'public') return { ok: true, range, allowListed: false };
  if (allowList.allows(ip)) return { ok: true, range, allowListed: true };
  return { ok: false, refused: true, range };
}

// ---------------------------------------------------------------------------------------------
// Destination policy: one classifier for save time (control-api) and send time (delivery)
// ---------------------------------------------------------------------------------------------

/** Everything that decides whether a URL may be delivered to: the URL rules and the address allow list. */
export interface DestinationPolicy {
  url: UrlPolicy;
  allowList: AllowList;
}

/** `443,8443` or `any`, as the apps' `*_ALLOWED_PORTS` settings are written. */
export function parseAllowedPorts(spec: string): readonly number[] | 'any' {
  const s = spec.trim();
  return s === 'any' ? 'any' : s.split(',').map((p) => Number(p.trim()));
}

/**
 * The policy from the settings both apps take (`ENDPOINT_*` in control-api, `DELIVERY_*` in
 * delivery), so the two read them the same way.
 */
export function destinationPolicy(settings: { allowHttp: boolean | string; allowedPorts: string; allowedCidrs: string }): DestinationPolicy {
  return {
    url: { allowHttp: settings.allowHttp === true || settings.allowHttp === 'true', allowedPorts: parseAllowedPorts(settings.allowedPorts) },
    allowList: AllowList.parse(settings.allowedCidrs),
  };
}

export type DestinationProblemCode = UrlProblemCode | 'address_not_allowed';

export type DestinationCheck =
  | { ok: true; url: URL; port: number; literal: string | undefined }
  | { ok: false; reasons: { code: DestinationProblemCode; message: string }[] };

/**
 * The checks that need no DNS: the URL rules, and the address when the host is a literal IP.
 * A host name still has to pass `checkResolved` with what it resolves to.
 */
export function checkDestination(raw: string, policy: DestinationPolicy): DestinationCheck {
  const u = checkUrl(raw, policy.url);
  if (!u.ok) return u;
  const literal = literalAddress(u.url);
  if (literal !== undefined) {
    const verdict = checkAddress(literal, policy.allowList);
    if (!verdict.ok) {
      return { ok: false, reasons: [{ code: 'address_not_allowed', message: `${literal} is a ${verdict.range} address; deliveries only go to public addresses (or allow-listed ranges)` }] };
    }
  }
  return { ok: true, url: u.url, port: u.port, literal };
}

/** One DNS answer, as `dns.lookup(name, { all: true })` gives it. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to every address it has; injectable, so tests can answer anything. */
export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>;

export type ResolvedCheck =
  | { ok: true; answers: ResolvedAddress[] }
  | { ok: false; answers: ResolvedAddress[]; refused: { address: string; range: AddressClass }[]; message: string };

/**
 * Every answer must pass: one refused address among public ones refuses the whole name (a
 * client would connect to whichever answer it likes, and a rebinding DNS chooses for it).
 * No answer at all is refused too. Errors of the lookup itself are the caller's to handle.
 */
export async function checkResolved(hostname: string, lookup: HostLookup, allowList: AllowList): Promise<ResolvedCheck> {
  const answers = await lookup(hostname);
  if (answers.length === 0) return { ok: false, answers, refused: [], message: `${hostname} has no addresses` };
  const refused: { address: string; range: AddressClass }[] = [];
  for (const a of answers) {
    const verdict = checkAddress(a.address, allowList);
    if (!verdict.ok) refused.push({ address: a.address, range: verdict.range });
  }
  if (refused.length === 0) return { ok: true, answers };
  const list = refused.map((r) => `${r.address} (${r.range})`).join(', ');
  return { ok: false, answers, refused, message: `${hostname} resolves to ${list}, which ${refused.length === 1 ? 'is not a public address' : 'are not public addresses'}` };
}
