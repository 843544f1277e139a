import {
  AddressClass,
  AllowList,
  AllowListError,
  checkAddress,
  checkDestination,
  checkResolved,
  destinationPolicy,
  type HostLookup,
  parseAllowedPorts,
  checkUrl,
  classifyAddress,
  DEFAULT_URL_POLICY,
  isPublicUnicast,
  literalAddress,
  UrlProblemCode,
} from './ssrf';

// Each special range: its first and last address, and the neighbours just outside it.
const IPV4: readonly (readonly [string, AddressClass])[] = [
  ['0.0.0.0', 'unspecified'],
  ['0.255.255.255', 'unspecified'],
  ['1.0.0.0', 'public'],
  ['9.255.255.255', 'public'],
  ['10.0.0.0', 'private'],
  ['10.255.255.255', 'private'],
  ['11.0.0.0', 'public'],
  ['100.63.255.255', 'public'],
  ['100.64.0.0', 'carrierGradeNat'],
  ['100.127.255.255', 'carrierGradeNat'],
  ['100.128.0.0', 'public'],
  ['126.255.255.255', 'public'],
  ['127.0.0.0', 'loopback'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.255', 'loopback'],
  ['128.0.0.0', 'public'],
  ['169.253.255.255', 'public'],
  ['169.254.0.0', 'linkLocal'],
  ['169.254.169.254', 'linkLocal'], // cloud metadata service
  ['169.254.255.255', 'linkLocal'],
  ['169.255.0.0', 'public'],
  ['172.15.255.255', 'public'],
  ['172.16.0.0', 'private'],
  ['172.31.255.255', 'private'],
  ['172.32.0.0', 'public'],
  ['191.255.255.255', 'public'],
  ['192.0.0.0', 'ietfProtocolAssignments'],
  ['192.0.0.255', 'ietfProtocolAssignments'],
  ['192.0.1.0', 'public'],
  ['192.0.2.0', 'documentation'],
  ['192.0.2.255', 'documentation'],
  ['192.0.3.0', 'public'],
  ['192.88.99.1', 'reserved'],
  ['192.167.255.255', 'public'],
  ['192.168.0.0', 'private'],
  ['192.168.255.255', 'private'],
  ['192.169.0.0', 'public'],
  ['198.17.255.255', 'public'],
  ['198.18.0.0', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['198.20.0.0', 'public'],
  ['198.51.99.255', 'public'],
  ['198.51.100.0', 'documentation'],
  ['198.51.100.255', 'documentation'],
  ['198.51.101.0', 'public'],
  ['203.0.112.255', 'public'],
  ['203.0.113.0', 'documentation'],
  ['203.0.113.255', 'documentation'],
  ['203.0.114.0', 'public'],
  ['223.255.255.255', 'public'],
  ['224.0.0.0', 'multicast'],
  ['239.255.255.255', 'multicast'],
  ['240.0.0.0', 'reserved'],
  ['255.255.255.254', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  // Named only by ipaddr.js's own table.
  ['192.175.48.1', 'as112'],
  ['192.52.193.1', 'amt'],
  // Ordinary public addresses.
  ['8.8.8.8', 'public'],
  ['1.1.1.1', 'public'],
  ['93.184.216.34', 'public'],
  // Short, hex and octal forms denote the address the resolver would connect to.
  ['127.1', 'loopback'],
  ['0x7f.0.0.1', 'loopback'],
  ['2130706433', 'loopback'],
  ['017700000001', 'loopback'],
  ['127.0.1', 'loopback'],
  ['0xa9fea9fe', 'linkLocal'],
];

const IPV6: readonly (readonly [string, AddressClass])[] = [
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['::2', 'ipv4Compatible'],
  ['::127.0.0.1', 'ipv4Compatible'],
  ['::ffff:ffff', 'ipv4Compatible'],
  // IPv4-mapped: refused whatever the embedded address is.
  ['::ffff:0.0.0.0', 'ipv4Mapped'],
  ['::ffff:127.0.0.1', 'ipv4Mapped'],
  ['::ffff:169.254.169.254', 'ipv4Mapped'],
  ['::ffff:10.0.0.1', 'ipv4Mapped'],
  ['::ffff:8.8.8.8', 'ipv4Mapped'],
  ['::ffff:7f00:1', 'ipv4Mapped'],
  ['::ffff:255.255.255.255', 'ipv4Mapped'],
  ['::FFFF:127.0.0.1', 'ipv4Mapped'],
  ['0:0:0:0:0:ffff:808:808', 'ipv4Mapped'],
  ['::fffe:ffff:ffff', 'notGlobalUnicast'],
  ['::1:0:0:0', 'notGlobalUnicast'],
  ['::ffff:0:8.8.8.8', 'ipv4Translated'],
  // NAT64, both prefixes.
  ['64:ff9b::', 'nat64'],
  ['64:ff9b::8.8.8.8', 'nat64'],
  ['64:ff9b::127.0.0.1', 'nat64'],
  ['64:ff9b::ffff:ffff', 'nat64'],
  ['64:ff9b:0:0:0:1::', 'notGlobalUnicast'],
  ['64:ff9b:1::', 'nat64'],
  ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', 'nat64'],
  ['64:ff9b:2::', 'notGlobalUnicast'],
  ['100::', 'discard'],
  ['100::ffff:ffff:ffff:ffff', 'discard'],
  ['100:0:0:1::', 'notGlobalUnicast'],
  // 2001::/23 and the blocks inside it.
  ['2001::', 'teredo'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
  ['2001:0:ffff:ffff:ffff:ffff:ffff:ffff', 'teredo'],
  ['2001:1::1', 'ietfProtocolAssignments'],
  ['2001:2::', 'benchmarking'],
  ['2001:2:0:ffff:ffff:ffff:ffff:ffff', 'benchmarking'],
  ['2001:2:1::', 'ietfProtocolAssignments'],
  ['2001:3::1', 'ietfProtocolAssignments'],
  ['2001:10::', 'orchid'],
  ['2001:1f:ffff:ffff:ffff:ffff:ffff:ffff', 'orchid'],
  ['2001:20::', 'orchid2'],
  ['2001:2f:ffff:ffff:ffff:ffff:ffff:ffff', 'orchid2'],
  ['2001:30::1', 'ietfProtocolAssignments'],
  ['2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff', 'ietfProtocolAssignments'],
  ['2001:200::1', 'public'],
  // Documentation.
  ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', 'public'],
  ['2001:db8::', 'documentation'],
  ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation'],
  ['2001:db9::', 'public'],
  ['3fff::', 'documentation'],
  ['3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation'],
  ['3fff:1000::', 'public'],
  // 6to4, including one embedding 127.0.0.1.
  ['2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'public'],
  ['2002::', '6to4'],
  ['2002:7f00:1::', '6to4'],
  ['2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '6to4'],
  ['2003::', 'public'],
  ['5f00::1', 'segmentRouting'],
  // Local scopes.
  ['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'notGlobalUnicast'],
  ['fc00::', 'uniqueLocal'],
  ['fd12:3456:789a::1', 'uniqueLocal'],
  ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'uniqueLocal'],
  ['fe00::', 'notGlobalUnicast'],
  ['fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'notGlobalUnicast'],
  ['fe80::', 'linkLocal'],
  ['fe80::1%eth0', 'linkLocal'],
  ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'linkLocal'],
  ['fec0::1', 'siteLocal'],
  ['feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'siteLocal'],
  ['ff00::', 'multicast'],
  ['ff02::1', 'multicast'],
  ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'multicast'],
  // Outside 2000::/3 nothing is allocated for unicast.
  ['1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'notGlobalUnicast'],
  ['2000::', 'public'],
  ['3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'public'],
  ['4000::1', 'notGlobalUnicast'],
  // Ordinary public addresses.
  ['2606:4700:4700::1111', 'public'],
  ['2a00:1450:4001:81b::200e', 'public'],
  ['2001:4860:4860::8888', 'public'],
];

describe('classifyAddress', () => {
  it.each(IPV4)('IPv4 %s → %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });

  it.each(IPV6)('IPv6 %s → %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });

  it.each(['', 'example.com', '256.0.0.1', '1.2.3.4.5', '::g', '[::1]', '127.0.0.1/8', ' '])('%p is invalid', (ip) => {
    expect(classifyAddress(ip)).toBe('invalid');
  });

  it('isPublicUnicast is true only for public addresses', () => {
    for (const [ip, expected] of [...IPV4, ...IPV6]) expect(isPublicUnicast(ip)).toBe(expected === 'public');
    expect(isPublicUnicast('not an ip')).toBe(false);
  });
});

describe('AllowList', () => {
  const list = AllowList.parse('10.0.0.0/8,127.0.0.1/32,::1/128');

  it('allows addresses inside its CIDRs and nothing else', () => {
    expect(list.size).toBe(3);
    expect(list.allows('10.0.0.0')).toBe(true);
    expect(list.allows('10.255.255.255')).toBe(true);
    expect(list.allows('11.0.0.0')).toBe(false);
    expect(list.allows('9.255.255.255')).toBe(false);
    expect(list.allows('127.0.0.1')).toBe(true);
    expect(list.allows('127.0.0.2')).toBe(false);
    expect(list.allows('::1')).toBe(true);
    expect(list.allows('::2')).toBe(false);
    expect(list.allows('nonsense')).toBe(false);
  });

  it('matches IPv4-mapped addresses against IPv4 entries', () => {
    expect(list.allows('::ffff:10.1.2.3')).toBe(true);
    expect(list.allows('::ffff:11.1.2.3')).toBe(false);
  });

  it('accepts bare addresses and whitespace or comma separators', () => {
    const l = AllowList.parse(' 192.168.1.10 ,\nfd00::/8  2001:db8::1 ');
    expect(l.size).toBe(3);
    expect(l.allows('192.168.1.10')).toBe(true);
    expect(l.allows('192.168.1.11')).toBe(false);
    expect(l.allows('fd12::1')).toBe(true);
    expect(l.allows('2001:db8::1')).toBe(true);
    expect(l.allows('2001:db8::2')).toBe(false);
  });

  it('parses an empty spec as an empty list', () => {
    expect(AllowList.parse('').size).toBe(0);
    expect(AllowList.parse(' , ').allows('10.0.0.1')).toBe(false);
  });

  it.each(['10/8', '10.0.0.0/33', 'fd00::/129', 'example.com', '127.1/32', '10.0.0.0/8,oops'])('refuses %p, naming the bad entry', (spec) => {
    expect(() => AllowList.parse(spec)).toThrow(AllowListError);
    expect(() => AllowList.parse(spec)).toThrow(spec.split(',').pop()!);
  });
});

describe('checkAddress', () => {
  const allow = AllowList.parse('10.0.0.0/8');

  it('passes public addresses', () => {
    expect(checkAddress('8.8.8.8')).toEqual({ ok: true, range: 'public', allowListed: false });
    expect(checkAddress('2606:4700:4700::1111', allow)).toEqual({ ok: true, range: 'public', allowListed: false });
  });

  it('refuses special ranges with their name', () => {
    expect(checkAddress('169.254.169.254')).toEqual({ ok: false, refused: true, range: 'linkLocal' });
    expect(checkAddress('::ffff:8.8.8.8')).toEqual({ ok: false, refused: true, range: 'ipv4Mapped' });
    expect(checkAddress('10.1.1.1')).toEqual({ ok: false, refused: true, range: 'private' });
    expect(checkAddress('192.168.1.1', allow)).toEqual({ ok: false, refused: true, range: 'private' });
  });

  it('lets the allow list through, saying so', () => {
    expect(checkAddress('10.1.1.1', allow)).toEqual({ ok: true, range: 'private', allowListed: true });
  });

  it('refuses what is not an address', () => {
    expect(checkAddress('example.com', allow)).toEqual({ ok: false, refused: true, range: 'invalid' });
  });
});

describe('checkUrl', () => {
  const codes = (url: string, policy = DEFAULT_URL_POLICY): UrlProblemCode[] => {
    const r = checkUrl(url, policy);
    return r.ok ? [] : r.reasons.map((p) => p.code);
  };

  it('accepts an https URL on 443 and reports the effective port', () => {
    const r = checkUrl('https://hooks.example.com/in/abc?token=x&y=1#frag');
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.port).toBe(443);
      expect(r.url.hostname).toBe('hooks.example.com');
    }
    expect(codes('https://hooks.example.com:443/x')).toEqual([]);
  });

  it("accepts ActiveCampaign's special characters and the URL structural ones", () => {
    expect(codes("https://example.com/a$-_.+!*'(),b/c;d~e?q=%20&r=[1]@x#top")).toEqual([]);
  });

  it('refuses http by default and allows it when the policy does', () => {
    expect(codes('http://example.com/')).toEqual(['scheme_not_allowed', 'port_not_allowed']);
    expect(codes('http://example.com/', { allowHttp: true, allowedPorts: [80, 443] })).toEqual([]);
    expect(codes('http://example.com/', { allowHttp: true, allowedPorts: [443] })).toEqual(['port_not_allowed']);
  });

  it('refuses other ports unless allowed', () => {
    expect(codes('https://example.com:8443/')).toEqual(['port_not_allowed']);
    expect(codes('https://example.com:8443/', { allowHttp: false, allowedPorts: [443, 8443] })).toEqual([]);
    expect(codes('https://example.com:1/', { allowHttp: false, allowedPorts: 'any' })).toEqual([]);
    const r = checkUrl('https://localhost:3000/', { allowHttp: true, allowedPorts: 'any' });
    expect(r.ok && r.port).toBe(3000);
  });

  it.each(['ftp://example.com/', 'javascript:alert(1)', '//example.com/', 'https:example.com', 'https:/example.com', 'file:///etc/passwd', 'example.com'])(
    'refuses the scheme of %p',
    (url) => {
      expect(codes(url)).toContain('scheme_not_allowed');
    },
  );

  it.each(['https://user:pw@example.com/', 'https://user@example.com/', 'https://@example.com/', 'https://:pw@example.com/'])(
    'refuses credentials in %p',
    (url) => {
      expect(codes(url)).toContain('credentials_in_url');
    },
  );

  it('does not mistake an @ in the path or query for credentials', () => {
    expect(codes('https://example.com/u@x?email=a@b.c')).toEqual([]);
  });

  it.each([
    ['a space', 'https://example.com/a b'],
    ['a tab', 'https://example.com/a\tb'],
    ['a newline', 'https://example.com/\nx'],
    ['a NUL', 'https://example.com/\u0000'],
    ['a backslash', 'https://example.com\\@evil.com/'],
    ['a double quote', 'https://example.com/"x"'],
    ['angle brackets', 'https://example.com/<x>'],
    ['braces', 'https://example.com/{x}'],
    ['a pipe', 'https://example.com/a|b'],
    ['a caret', 'https://example.com/a^b'],
    ['a backtick', 'https://example.com/a`b'],
    ['a unicode host', 'https://exämple.com/'],
    ['a unicode path', 'https://example.com/café'],
    ['a fullwidth dot', 'https://example\uff0ecom/'],
  ])('refuses raw input containing %s', (_label, url) => {
    expect(codes(url)).toContain('invalid_characters');
  });

  it('accepts a punycode host', () => {
    expect(codes('https://xn--exmple-cua.com/')).toEqual([]);
  });

  it.each(['https://example.com/%', 'https://example.com/%zz', 'https://example.com/%4'])('refuses broken percent-encoding in %p', (url) => {
    expect(codes(url)).toContain('invalid_percent_encoding');
  });

  it('refuses URLs without a host', () => {
    expect(codes('https:///path')).toContain('missing_host');
    expect(codes('https://')).toContain('unparseable');
  });

  it('refuses URLs over the length limit', () => {
    const long = 'https://example.com/' + 'a'.repeat(2048);
    expect(codes(long)).toEqual(['too_long']);
    expect(codes('https://example.com/abc', { ...DEFAULT_URL_POLICY, maxLength: 10 })).toEqual(['too_long']);
  });

  it('lists every problem at once', () => {
    expect(codes('http://user@example.com:8080/a b')).toEqual(
      expect.arrayContaining(['invalid_characters', 'scheme_not_allowed', 'credentials_in_url', 'port_not_allowed']),
    );
  });
});

describe('literalAddress', () => {
  it('returns the IP a URL names directly, normalised by the URL parser', () => {
    expect(literalAddress(new URL('https://[::1]:8443/'))).toBe('::1');
    expect(literalAddress(new URL('https://0x7f.1/'))).toBe('127.0.0.1');
    expect(literalAddress(new URL('https://[::ffff:169.254.169.254]/'))).toBe('::ffff:a9fe:a9fe');
    expect(literalAddress(new URL('https://example.com/'))).toBeUndefined();
  });

  it('feeds checkAddress for an early refusal of internal URLs', () => {
    const ip = literalAddress(new URL('https://[::ffff:169.254.169.254]/'))!;
    expect(checkAddress(ip)).toEqual({ ok: false, refused: true, range: 'ipv4Mapped' });
  });
});

describe('checkDestination and checkResolved (the classifier shared by save time and send time)', () => {
  const policy = destinationPolicy({ allowHttp: 'true', allowedPorts: 'any', allowedCidrs: '127.0.0.1/32' });

  it('applies the URL rules and the allow list to literal addresses, leaving names to DNS', () => {
    expect(checkDestination('http://127.0.0.1:4599/x', policy)).toMatchObject({ ok: true, literal: '127.0.0.1' });
    expect(checkDestination('http://10.0.0.1/x', policy)).toMatchObject({ ok: false, reasons: [{ code: 'address_not_allowed' }] });
    expect(checkDestination('http://receiver.example/x', policy)).toMatchObject({ ok: true, literal: undefined });
    expect(checkDestination('ftp://x', policy)).toMatchObject({ ok: false, reasons: [expect.objectContaining({ code: 'scheme_not_allowed' })] });
  });

  it('reads the apps\' settings the same way (ports list or any, http flag as text)', () => {
    expect(destinationPolicy({ allowHttp: 'false', allowedPorts: '443, 8443', allowedCidrs: '' }).url).toEqual({ allowHttp: false, allowedPorts: [443, 8443] });
    expect(parseAllowedPorts(' any ')).toBe('any');
  });

  it('refuses a name when any DNS answer is refused, naming every refused answer', async () => {
    const lookup: HostLookup = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '10.1.2.3', family: 4 },
      { address: 'fe80::1', family: 6 },
    ];
    const v = await checkResolved('mixed.example', lookup, AllowList.empty);
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.refused).toEqual([
        { address: '10.1.2.3', range: 'private' },
        { address: 'fe80::1', range: 'linkLocal' },
      ]);
      expect(v.message).toBe('mixed.example resolves to 10.1.2.3 (private), fe80::1 (linkLocal), which are not public addresses');
    }
  });

  it('passes a name whose every answer is public or allow-listed, and refuses one with no answer', async () => {
    expect((await checkResolved('a.example', async () => [{ address: '93.184.215.14', family: 4 }], AllowList.empty)).ok).toBe(true);
    expect((await checkResolved('localhost', async () => [{ address: '127.0.0.1', family: 4 }], AllowList.parse('127.0.0.1/32'))).ok).toBe(true);
    expect(await checkResolved('none.example', async () => [], AllowList.empty)).toMatchObject({ ok: false, message: 'none.example has no addresses' });
  });
});
