import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { uniqueName, waitFor } from '@hookstream/testing';
import { Pipeline, ROOT } from './support/pipeline';
import { Receiver } from './support/receiver';

/*
 * The dashboard in a real headless Chromium: Debian's package (installed by `npm test`'s
 * "Chromium" step), driven by playwright-core; no browser download. The whole pipeline runs as
 * processes, so the test event travels control-api → events.raw → validator → enricher → feed
 * and comes back to the page over the live stream.
 */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-artifacts', 'dashboard');
const WEB_DIST = join(ROOT, 'dist', 'apps', 'dashboard');

interface Demo {
  apiKey: string;
  sourceId: string;
  endpointId: string;
}

/** Logs of its own: other e2e suites may run at the same time and write test-artifacts/e2e-logs. */
class DashboardPipeline extends Pipeline {
  override readonly logDir = join(SHOTS, 'logs');
}

describe('dashboard: a real browser creates a source, sends a test event and watches it arrive', () => {
  // "Send sample data" goes control-api → the delivery app's internal API, on its e2e port.
  const pipeline = new DashboardPipeline();
  const receiver = new Receiver();
  let demo: Demo;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let eventsListed = 0;

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  /** A browser step; when it fails, what the page showed is kept as FAILED-<name>.png. */
  const step = (name: string, fn: () => Promise<void>) => async () => {
    try {
      await fn();
    } catch (err) {
      await shot(`FAILED-${name}`).catch(() => undefined);
      throw err;
    }
  };

  beforeAll(async () => {
    if (!existsSync(join(WEB_DIST, 'index.html'))) throw new Error('the dashboard is not built: run `npm run build` first (npm test does it).');
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (npm test's "Chromium" step does it).`);
    mkdirSync(SHOTS, { recursive: true });
    const inbox = await receiver.start();
    await pipeline.start();
    demo = JSON.parse(await pipeline.cli(['seed-demo', '--inbox-url', `${inbox}/hooks`, '--public-base-url', pipeline.url('ingest-gateway'), '--json'])) as Demo;
    await warmUp();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Without the background-networking flags Chromium keeps dialling Google's hosts, which this
      // sandbox's closed network refuses.
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(`console: ${m.text()}`));
    page.on('response', (r) => r.status() >= 500 && pageErrors.push(`${r.status()} from ${r.request().method()} ${r.url()}`));
    page.on('request', (r) => new URL(r.url()).pathname === '/v1/events' && eventsListed++);
  }, 300_000);

  /**
   * New consumer groups start at the beginning of the shared topics, which other suites have
   * filled; wait until one event has made the whole trip into the feed, so the browser steps
   * below time the live path, not the catching up.
   */
  async function warmUp(): Promise<void> {
    const headers = { authorization: `Bearer ${demo.apiKey}` };
    const sent = await fetch(pipeline.url('control-api', `/v1/sources/${demo.sourceId}/test-event`), { method: 'POST', headers });
    expect(sent.status).toBe(202);
    const { id } = (await sent.json()) as { id: string };
    await waitFor(async () => {
      const r = await fetch(pipeline.url('control-api', `/v1/events/${id}`), { headers });
      return r.status === 200 && ((await r.json()) as { summary: { status: string } }).summary.status === 'accepted' ? true : undefined;
    }, { timeoutMs: 180_000, intervalMs: 500, what: 'a warm-up test event to reach the feed as accepted' });
  }

  afterAll(async () => {
    await browser?.close();
    await pipeline.stopAll();
    await receiver.stop();
  });

  it('control-api serves the page at / and at deep links, while the API keeps its JSON 404s', async () => {
    const home = await fetch(pipeline.url('control-api', '/'));
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toMatch(/^text\/html/);
    expect(home.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await home.text();
    expect(html).toContain('<div id="app">');

    const deep = await fetch(pipeline.url('control-api', '/events/evt_whatever'));
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);

    const asset = readdirSync(join(WEB_DIST, 'assets')).find((f) => f.endsWith('.js'));
    const js = await fetch(pipeline.url('control-api', `/assets/${asset}`));
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');

    const unknownApi = await fetch(pipeline.url('control-api', '/v1/no-such-thing'));
    expect(unknownApi.status).toBe(404);
    expect(((await unknownApi.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect((await fetch(pipeline.url('control-api', '/assets/missing.js'))).status).toBe(404);
    expect((await fetch(pipeline.url('control-api', '/docs-json'))).status).toBe(200);
    expect((await fetch(pipeline.url('control-api', '/health/live'))).status).toBe(200);
  });

  it('refuses a wrong key, then logs in with the seeded one', step('login', async () => {
    await page.goto(pipeline.url('control-api', '/'));
    await page.getByLabel('API key').fill('hsk_wrong_key');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('That API key was not accepted').waitFor();
    await shot('01-login-refused');

    await page.getByLabel('API key').fill(demo.apiKey);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Sources' }).waitFor();
    await page.locator('[data-testid=source-row]', { hasText: 'Demo shop' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sources');
    await shot('02-sources');
  }));

  let sourceName: string;
  let sourceId: string;

  it('creates a source: the URL and token are shown once, with a curl example', step('create-source', async () => {
    sourceName = uniqueName('Browser shop');
    await page.locator('input[name=source-name]').fill(sourceName);
    await page.locator('select[name=source-dialect]').selectOption('activly');
    await page.getByRole('button', { name: 'Create source' }).click();
    const url = (await page.getByTestId('source-url').textContent()) ?? '';
    expect(url).toMatch(new RegExp(`^${pipeline.url('ingest-gateway', '/v1/hooks/')}src_[0-9a-z]+\\?token=hst_`));
    sourceId = new URL(url).pathname.split('/').pop() ?? '';
    await page.getByTestId('shown-once').getByText(`curl -X POST '${url}'`).waitFor();
    await page.locator(`[data-testid=source-row][data-source-id="${sourceId}"]`).waitFor();
    await shot('03-source-created');

    // "Send test event" from the list answers with a link to the event. (Sent from the demo source:
    // a second identical test event from the new one would be deduplicated in the next step.)
    await page.locator('[data-testid=source-row]', { hasText: 'Demo shop' }).getByRole('button', { name: 'Send test event' }).click();
    await page.getByText('Test event sent to “Demo shop”').waitFor();
    // With the dry-run verdict of what was sent (the gateway's ?dry_run=true check).
    await page.getByTestId('test-event-verdict').getByText(/dry run: valid \(activly/).first().waitFor();
  }));

  it('a test event sent from the live feed arrives over the stream, without reloading the list', step('live-feed', async () => {
    // The unfiltered list answers late (as on a busy server), after the source filter is chosen:
    // its answer must not replace the filtered one (the Demo shop's events under this new source).
    const slowUnfiltered = async (route: import('playwright-core').Route): Promise<void> => {
      if (new URL(route.request().url()).searchParams.has('sourceId')) return route.continue();
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    };
    await page.route('**/v1/events?*', slowUnfiltered);
    await page.getByRole('link', { name: 'Live feed', exact: true }).click();
    await page.locator('select[name=filter-source]').selectOption(sourceId);
    await page.getByTestId('live-state').getByText('Live').waitFor();
    await page.getByText('No events yet matching these filters').waitFor();
    await new Promise((r) => setTimeout(r, 2000));
    await page.unroute('**/v1/events?*', slowUnfiltered);
    expect(await page.locator('[data-testid=feed-row]').count()).toBe(0);
    await shot('04-feed-empty');
    const listedBefore = eventsListed;

    const [sent] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/v1/sources/${sourceId}/test-event`) && r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Send test event' }).click(),
    ]);
    expect(sent.status()).toBe(202);
    const { id } = (await sent.json()) as { id: string };

    const row = page.locator(`[data-testid=feed-row][data-event-id="${id}"]`);
    await row.waitFor({ timeout: 8000 });
    await page.locator(`[data-testid=feed-row][data-event-id="${id}"][data-status=accepted]`).waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid=feed-row]').count()).toBe(1);
    // It came over the stream: the page did not fetch the list again.
    expect(eventsListed).toBe(listedBefore);
    await shot('05-feed-live');

    await row.click();
    await page.waitForURL(`**/events/${id}`);
    const canonical = page.getByTestId('canonical-event');
    await canonical.waitFor();
    await canonical.getByText(`"id": "${id}"`).waitFor();
    await canonical.getByText('"firstName": "Sarah"').waitFor();
    await canonical.getByText('"countryCode": "GB"').waitFor();
    await page.getByRole('heading', { name: 'Raw request' }).waitFor();
    await page.getByText('hookstream-dashboard-test').waitFor();
    await shot('06-event-detail');
  }));

  it('endpoints: the seeded endpoint is listed, and "Send sample data" reaches it', step('endpoints', async () => {
    await page.getByRole('link', { name: 'Endpoints', exact: true }).click();
    const row = page.locator(`[data-testid=endpoint-row][data-endpoint-id="${demo.endpointId}"]`);
    await row.waitFor();
    const delivered = receiver.received.length;
    await row.getByRole('button', { name: 'Send sample data' }).click();
    await page.getByText(/Sample “purchase” → .*HTTP 2\d\d/).waitFor({ timeout: 15_000 });
    expect(receiver.received.length).toBeGreaterThan(delivered);
    await shot('07-endpoints');

    await row.getByRole('link', { name: 'Attempts' }).click();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    await page.getByTestId('deliveries-table').waitFor({ timeout: 15_000 });
    await shot('08-endpoint-deliveries');

    await page.getByRole('link', { name: 'Automations', exact: true }).click();
    await page.getByRole('heading', { name: 'New automation' }).waitFor();
    await shot('09-automations');

    // Dead letters need an admin-scoped key: the demo (write) key is told so, with how to get one.
    const errorsBefore = pageErrors.length;
    await page.getByRole('link', { name: 'Dead letters', exact: true }).click();
    await page.getByTestId('dlq-forbidden').getByText('admin-scoped API key').waitFor();
    await shot('10-dead-letters');
    // That 403 is the page's answer, which Chromium logs as a failed load: exactly that one, taken off the list.
    expect(pageErrors.splice(errorsBefore)).toEqual([expect.stringMatching(/status of 403/)]);
    expect(await page.getByRole('link', { name: 'IP Geolocation by DB-IP' }).getAttribute('href')).toBe('https://db-ip.com');
  }));

  it('endpoints: where event types are picked, each type shows its schema and example, and can be added', step('event-types', async () => {
    await page.getByRole('link', { name: 'Endpoints', exact: true }).click();
    const form = page.getByRole('form', { name: 'Create an endpoint' });
    await form.getByText('What each event type sends (schema and example)').click();
    await form.locator('select[name=catalog-type]').selectOption('contact.tag_added');
    await form.getByTestId('event-type-example').getByText('"type": "contact.tag_added"').first().waitFor();
    await form.getByTestId('event-type-schema').getByText('"contact.tag_added"').first().waitFor();
    await form.getByRole('button', { name: 'Subscribe to contact.tag_added' }).click();
    expect(await form.locator('input[name=endpoint-types]').inputValue()).toBe('contact.tag_added');
    await shot('10-event-types');
    expect(await page.getByRole('link', { name: 'Kafka topics (AsyncAPI)' }).getAttribute('href')).toBe('/asyncapi');
  }));

  it('charts: events per minute by status, deliveries by outcome and latency per endpoint are drawn from the read model', step('charts', async () => {
    // The events and deliveries of the steps above, as the stats API counts them.
    const headers = { authorization: `Bearer ${demo.apiKey}` };
    const stats = async <T,>(path: string): Promise<T> => (await (await fetch(pipeline.url('control-api', path), { headers })).json()) as T;
    type Counts = { series: { key: string; total: number }[] };
    const total = (c: Counts, key: string) => c.series.find((s) => s.key === key)?.total ?? 0;
    await waitFor(async () => {
      const [ev, dl, lat] = await Promise.all([
        stats<Counts>('/v1/stats/events'), stats<Counts>('/v1/stats/deliveries'), stats<{ endpoints: { endpointId: string }[] }>('/v1/stats/latency'),
      ]);
      return total(ev, 'accepted') >= 2 && total(dl, 'succeeded') >= 1 && lat.endpoints.some((e) => e.endpointId === demo.endpointId) ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500, what: 'accepted events, a succeeded delivery and an attempt latency in /v1/stats' });
    const accepted = total(await stats<Counts>('/v1/stats/events'), 'accepted');

    await page.getByRole('link', { name: 'Charts', exact: true }).click();
    await page.getByRole('heading', { name: 'Charts' }).waitFor();
    for (const id of ['chart-events', 'chart-deliveries', 'chart-latency']) await page.locator(`[data-testid=${id}] canvas`).waitFor();
    expect(Number(await page.locator('[data-testid=chart-events-legend] [data-key=accepted]').getAttribute('data-total'))).toBe(accepted);
    expect(Number(await page.locator('[data-testid=chart-deliveries-legend] [data-key=succeeded]').getAttribute('data-total'))).toBeGreaterThanOrEqual(1);
    await page.locator(`[data-testid=chart-latency-table] tr[data-endpoint-id="${demo.endpointId}"]`).getByText(/^\d+(\.\d)? ms$/).first().waitFor();

    // Each canvas holds pixels of its series' colour: the data was drawn, not only the axes.
    const inked = (id: string, rgb: [number, number, number]) =>
      page.locator(`[data-testid=${id}] canvas`).evaluate((c, want) => {
        // (A canvas element; the e2e project compiles without the DOM types.)
        const canvas = c as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
        const px = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray();
        let n = 0;
        for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i] - want[0]) + Math.abs(px[i + 1] - want[1]) + Math.abs(px[i + 2] - want[2]) < 40 && px[i + 3] > 200) n++;
        return n;
      }, rgb);
    expect(await inked('chart-events', [6, 118, 71])).toBeGreaterThan(10); // accepted, #067647
    expect(await inked('chart-deliveries', [6, 118, 71])).toBeGreaterThan(10); // succeeded
    expect(await inked('chart-latency', [79, 70, 229])).toBeGreaterThan(10); // the busiest endpoint, #4f46e5
    expect(await inked('chart-events', [180, 35, 24])).toBe(0); // nothing was rejected: no #b42318 line (empty series are not drawn)

    // The last 24 hours: the same events, in 15-minute buckets.
    const [wide] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/v1/stats/events?window=24h')),
      page.locator('select[name=chart-window]').selectOption('24h'),
    ]);
    expect(((await wide.json()) as { bucketSeconds: number }).bucketSeconds).toBe(900);
    await page.locator(`[data-testid=chart-events-legend] [data-key=accepted][data-total="${accepted}"]`).waitFor();
    expect(await inked('chart-events', [6, 118, 71])).toBeGreaterThan(10);
    // The toasts of the steps above would cover the latency chart in the picture.
    await waitFor(async () => ((await page.locator('.toast').count()) === 0 ? true : undefined), { timeoutMs: 10_000, what: 'the toasts to go' });
    await shot('11-charts');
  }));

  it('the page raised no script errors along the way', () => {
    // The refused login answers 401, which Chromium logs as a failed resource load; nothing else may appear.
    expect(pageErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
