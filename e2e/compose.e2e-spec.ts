import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts, waitFor } from '@hookstream/testing';
import { verify } from '@hookstream/webhooks';
import { APPS, ROOT, type AppName } from './support/pipeline';
import { Receiver, type Received } from './support/receiver';

const run = promisify(execFile);

/** The Activly example payload, as the seed document gives it (the demo event). */
const DEMO_EVENT = { event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: '2026-02-28T14:30:00Z' };

interface Demo {
  sourceUrl: string;
  endpointSecret: string;
}

/**
 * The container story end to end, as a platform team would run it: docker/compose.yaml with the
 * host-network override (tools/docker/compose.sh, Debian's docker-compose here), the images built
 * by tools/docker/build-images.sh, keys generated for this project. The demo event goes in, a signed
 * delivery comes out at a receiver on the host; a container killed with SIGKILL is restarted by its
 * restart policy and nothing is lost; `down -v` leaves no container or volume behind. Its own
 * project name and free ports: the dev stack (3000-3005, 9092, 5432) is never touched.
 */
describe('compose: the images run the whole pipeline under docker-compose (host network)', () => {
  const project = `hookstream-e2e-${process.pid}`;
  const receiver = new Receiver();
  const envDir = mkdtempSync(join(tmpdir(), 'hookstream-compose-e2e-'));
  const ports = {} as Record<AppName, number>;
  let env: NodeJS.ProcessEnv;
  let demo: Demo;

  const compose = async (...args: string[]): Promise<string> => {
    try {
      return (await run('bash', [join(ROOT, 'tools/docker/compose.sh'), ...args], { env, cwd: ROOT, maxBuffer: 32 * 1024 * 1024, timeout: 300_000 })).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`compose ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`);
    }
  };
  const docker = async (...args: string[]): Promise<string> => (await run('docker', args, { timeout: 60_000 })).stdout.trim();
  const containerOf = async (service: string): Promise<string> => (await compose('ps', '-q', service)).trim();
  const gatewayUrl = () => `http://127.0.0.1:${ports['ingest-gateway']}`;

  const post = () => fetch(demo.sourceUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...DEMO_EVENT, first_name: `Sarah${Date.now()}` }) });
  const accepted = async (): Promise<string> => {
    const r = await waitFor(async () => {
      const res = await post().catch(() => undefined);
      return res?.status === 202 ? res : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500, what: 'the gateway container to answer 202' });
    return ((await r.json()) as { id: string }).id;
  };
  const deliveredSigned = async (id: string): Promise<Received> => {
    const d = await waitFor(() => receiver.received.find((r) => r.body.toString().includes(id)), { timeoutMs: 90_000, intervalMs: 250, what: `the signed delivery of ${id}` });
    expect(verify(d.headers, d.body, [demo.endpointSecret]).ok).toBe(true);
    return d;
  };

  beforeAll(async () => {
    const inbox = await receiver.start();
    const [kafka, controller, postgres, ...appPorts] = await freePorts(3 + APPS.length);
    APPS.forEach((a, i) => (ports[a] = appPorts[i]));
    env = {
      ...process.env,
      COMPOSE_PROJECT_NAME: project,
      HOOKSTREAM_COMPOSE_ENV: join(envDir, 'compose.env'),
      HOOKSTREAM_STATE: envDir,
      HOOKSTREAM_COMPOSE_NETWORK: 'host',
      // npm test builds the images first (tools/docker/build-images.sh); compose only runs them.
      HOOKSTREAM_COMPOSE_BUILD: '0',
      HOOKSTREAM_KAFKA_PORT: String(kafka),
      HOOKSTREAM_KAFKA_CONTROLLER_PORT: String(controller),
      HOOKSTREAM_POSTGRES_PORT: String(postgres),
      HOOKSTREAM_GATEWAY_PORT: String(ports['ingest-gateway']),
      HOOKSTREAM_CONTROL_API_PORT: String(ports['control-api']),
      HOOKSTREAM_VALIDATOR_PORT: String(ports.validator),
      HOOKSTREAM_ENRICHER_PORT: String(ports.enricher),
      HOOKSTREAM_AUTOMATION_PORT: String(ports.automation),
      HOOKSTREAM_DELIVERY_PORT: String(ports.delivery),
      HOOKSTREAM_PROJECTOR_PORT: String(ports.projector),
      PUBLIC_BASE_URL: `http://127.0.0.1:${ports['ingest-gateway']}`,
      // The receiver is on this host (127.0.0.1, plain HTTP, any port): allowed for this project only.
      ENDPOINT_ALLOWED_CIDRS: '127.0.0.1/32', ENDPOINT_ALLOW_HTTP: 'true', ENDPOINT_ALLOWED_PORTS: 'any',
      DELIVERY_ALLOWED_CIDRS: '127.0.0.1/32', DELIVERY_ALLOW_HTTP: 'true', DELIVERY_ALLOWED_PORTS: 'any',
    };
    // Images must exist; missing ones are a setup error, not something to build inside a test.
    for (const image of ['hookstream:local', 'hookstream-kafka:4.1.1', 'hookstream-postgres:17']) {
      await docker('image', 'inspect', '--format', '{{.Id}}', image).catch(() => {
        throw new Error(`image ${image} is missing: bash tools/docker/build-images.sh (npm test does it)`);
      });
    }
    await compose('up', '-d', '--no-build');
    for (const app of APPS) {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${ports[app]}/health/ready`).catch(() => undefined))?.status === 200 || undefined,
        { timeoutMs: 180_000, intervalMs: 1000, what: `${app} container /health/ready` });
    }
    const out = await compose('exec', '-T', 'control-api', 'node', '-r', './tools/runtime/register.js', 'dist/apps/control-api/src/cli.js',
      'seed-demo', '--inbox-url', `${inbox}/hooks`, '--public-base-url', gatewayUrl(), '--json');
    demo = JSON.parse(out.slice(out.indexOf('{'))) as Demo;
  }, 360_000);

  afterAll(async () => {
    // Safety net when a test failed before its own `down -v`.
    await compose('down', '-v', '--remove-orphans', '-t', '5').catch(() => undefined);
    await receiver.stop();
    rmSync(envDir, { recursive: true, force: true });
  }, 120_000);

  it('runs every service on the host network, from the three local images, none on a bridge', async () => {
    const ids = (await compose('ps', '-q')).trim().split('\n').filter(Boolean);
    expect(ids).toHaveLength(2 + APPS.length);
    const rows = (await docker('inspect', '--format', '{{.Config.Image}} {{.HostConfig.NetworkMode}} {{.HostConfig.RestartPolicy.Name}}', ...ids)).split('\n');
    for (const row of rows) {
      const [image, network, restart] = row.split(' ');
      expect(['hookstream:local', 'hookstream-kafka:4.1.1', 'hookstream-postgres:17']).toContain(image);
      expect(network).toBe('host');
      expect(restart).toBe('unless-stopped');
    }
  });

  it('starts each app with its own Node flags (tools/runtime/node-flags.sh): automation with 16 MB semi-spaces, delivery with none', async () => {
    const argv = async (app: string) => (await compose('exec', '-T', app, 'cat', '/proc/1/cmdline')).split('\0').filter(Boolean);
    const automation = await argv('automation');
    expect(automation.slice(0, 2)).toEqual(['node', '--max-semi-space-size=16']);
    expect(automation).toContain('dist/apps/automation/src/main.js');
    const delivery = await argv('delivery');
    expect(delivery.slice(0, 3)).toEqual(['node', '-r', './tools/runtime/register.js']);
  });

  it('the demo event goes in and a delivery signed with the endpoint secret reaches the receiver on the host', async () => {
    const id = await accepted();
    const d = await deliveredSigned(id);
    expect(d.headers['webhook-id']).toMatch(/^msg_/);
    const payload = JSON.parse(d.body.toString()) as { type: string; data: { id: string; product: { name: string }; location: { countryCode: string } } };
    expect(payload).toMatchObject({ type: 'purchase', data: { id, product: { name: 'Running Shoes' }, location: { countryCode: 'GB' } } });
  });

  it('a container killed with SIGKILL is restarted by its policy, and an event sent meanwhile is still delivered', async () => {
    const id = await containerOf('delivery');
    const before = Number(await docker('inspect', '--format', '{{.RestartCount}}', id));
    const pid = Number(await docker('inspect', '--format', '{{.State.Pid}}', id));
    expect(pid).toBeGreaterThan(0);
    // From the host, like the kernel's OOM killer: no `docker kill`, which counts as a manual stop.
    process.kill(pid, 'SIGKILL');
    const evt = await accepted();
    await waitFor(async () => Number(await docker('inspect', '--format', '{{.RestartCount}}', id)) > before || undefined,
      { timeoutMs: 60_000, intervalMs: 500, what: 'the restart policy to restart the delivery container' });
    await deliveredSigned(evt);
  });

  it('`down -v` removes every container and volume of the project', async () => {
    await compose('down', '-v', '--remove-orphans', '-t', '10');
    expect(await docker('ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}`)).toBe('');
    expect(await docker('volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`)).toBe('');
  });
});
