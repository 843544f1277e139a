import { BaseAppConfig } from './base.config';
import { ConfigValidationError, loadConfig } from './load-config';
import { parseTrustProxy } from './trust-proxy';

describe('TRUST_PROXY', () => {
  it('is off by default: no proxy is trusted', () => {
    expect(loadConfig(BaseAppConfig, { HOOKSTREAM_DEV_INSECURE_KEYS: 'true' }).TRUST_PROXY).toBe('');
    expect(parseTrustProxy('')).toBe(false);
  });

  it('takes the proxy list as addresses, CIDRs and named ranges', () => {
    const c = loadConfig(BaseAppConfig, { HOOKSTREAM_DEV_INSECURE_KEYS: 'true', TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1,fd00::/8,loopback' });
    expect(parseTrustProxy(c.TRUST_PROXY)).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8', 'loopback']);
  });

  it('refuses at boot what is not a proxy address, naming each bad item', () => {
    let err: unknown;
    try {
      loadConfig(BaseAppConfig, { TRUST_PROXY: 'true,10.0.0.0/33,lb.internal' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigValidationError);
    const text = (err as ConfigValidationError).problems.join('\n');
    expect(text).toMatch(/TRUST_PROXY=.*"true" is not an IP address/);
    expect(text).toContain('"10.0.0.0/33" has a bad prefix length (0-32)');
    expect(text).toContain('"lb.internal" is not an IP address');
  });
});
