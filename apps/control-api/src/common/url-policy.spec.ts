import { loadConfig } from '@hookstream/config';
import type { HostLookup } from '@hookstream/webhooks';
import { ControlApiConfig } from '../control-api.config';
import { UrlPolicyService } from './url-policy';

function service(lookup: HostLookup, env: Record<string, string> = {}): UrlPolicyService {
  return new UrlPolicyService(loadConfig(ControlApiConfig, { HOOKSTREAM_DEV_INSECURE_KEYS: 'true', ENDPOINT_ALLOW_HTTP: 'true', ENDPOINT_ALLOWED_PORTS: 'any', ...env }), lookup);
}

describe('UrlPolicyService save-time warnings', () => {
  it('warns when any DNS answer of the host is a refused address, including mixed public and private answers', async () => {
    const mixed = service(async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ]);
    const w = await mixed.warnings('https://mixed.example/hook');
    expect(w).toEqual([expect.objectContaining({ field: 'url', code: 'resolves_to_refused_address' })]);
    expect(w[0].message).toContain('10.0.0.7 (private)');
    expect(w[0].message).not.toContain('93.184.215.14');
  });

  it('does not warn for a name whose answers are all public, nor for a literal IP (checked without DNS)', async () => {
    let lookups = 0;
    const svc = service(async () => {
      lookups++;
      return [{ address: '93.184.215.14', family: 4 }];
    });
    expect(await svc.warnings('https://public.example/hook')).toEqual([]);
    expect(await svc.warnings('https://93.184.215.14/hook')).toEqual([]);
    expect(lookups).toBe(1);
  });

  it('does not warn for an answer inside ENDPOINT_ALLOWED_CIDRS', async () => {
    const svc = service(async () => [{ address: '127.0.0.1', family: 4 }], { ENDPOINT_ALLOWED_CIDRS: '127.0.0.1/32' });
    expect(await svc.warnings('http://localhost:3099/x')).toEqual([]);
  });

  it('warns, with the reason, for a name that does not resolve', async () => {
    const svc = service(async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nope.example'), { code: 'ENOTFOUND' });
    });
    expect(await svc.warnings('https://nope.example/x')).toEqual([expect.objectContaining({ code: 'does_not_resolve', message: expect.stringContaining('ENOTFOUND') })]);
  });
});
