import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { checkDestination, checkResolved, destinationPolicy, type DestinationPolicy, type HostLookup } from '@hookstream/webhooks';

/** The environment `npm start` gives the apps, from the same file run-all.sh sources. */
function devEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const script = join(__dirname, 'dev-endpoints.env.sh');
  const out = execFileSync('bash', ['-c', `source "${script}" && env -0`], { env: { PATH: process.env['PATH'] ?? '', ...overrides } });
  return Object.fromEntries(
    out
      .toString('utf8')
      .split('\0')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

function sides(env: Record<string, string>): { saveTime: DestinationPolicy; sendTime: DestinationPolicy } {
  return {
    saveTime: destinationPolicy({ allowHttp: env['ENDPOINT_ALLOW_HTTP'], allowedPorts: env['ENDPOINT_ALLOWED_PORTS'], allowedCidrs: env['ENDPOINT_ALLOWED_CIDRS'] }),
    sendTime: destinationPolicy({ allowHttp: env['DELIVERY_ALLOW_HTTP'], allowedPorts: env['DELIVERY_ALLOWED_PORTS'], allowedCidrs: env['DELIVERY_ALLOWED_CIDRS'] }),
  };
}

const localhost: HostLookup = async () => [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

describe('dev stack endpoint defaults (tools/dev/dev-endpoints.env.sh)', () => {
  it('lets control-api save, and delivery send to, a loopback receiver: the two sides agree', async () => {
    const { saveTime, sendTime } = sides(devEnv());
    for (const url of ['http://127.0.0.1:4599/hooks', 'http://[::1]:8080/x', 'http://localhost:3099/hooks/demo']) {
      expect({ url, save: checkDestination(url, saveTime).ok, send: checkDestination(url, sendTime).ok }).toEqual({ url, save: true, send: true });
    }
    expect((await checkResolved('localhost', localhost, saveTime.allowList)).ok).toBe(true);
    expect((await checkResolved('localhost', localhost, sendTime.allowList)).ok).toBe(true);
  });

  it('still refuses other internal addresses on both sides', () => {
    const { saveTime, sendTime } = sides(devEnv());
    for (const url of ['http://10.0.0.1/x', 'http://169.254.169.254/latest', 'http://192.168.1.1:8080/']) {
      expect({ url, save: checkDestination(url, saveTime).ok, send: checkDestination(url, sendTime).ok }).toEqual({ url, save: false, send: false });
    }
  });

  it('follows an operator who widens delivery: control-api gets the same value unless set itself', () => {
    const { saveTime, sendTime } = sides(devEnv({ DELIVERY_ALLOWED_CIDRS: '10.1.0.0/16' }));
    expect(checkDestination('http://10.1.2.3/x', saveTime).ok).toBe(true);
    expect(checkDestination('http://10.1.2.3/x', sendTime).ok).toBe(true);
  });
});
