import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, qs } from '../api';
import { PALETTE, STATUS_COLORS, TimeChart, type ChartSeries } from '../charts';
import type { CountStats, LatencyStats } from '../types';
import { Empty, LoadState, useLoad } from '../ui';

type StatsWindow = '1h' | '6h' | '24h';

const LABELS: Record<string, string> = { failed: 'retrying' };
const REFRESH_MS = 30_000;

/** Calls `reload` every REFRESH_MS while the page is open. */
function useRefresh(reload: () => Promise<void>): void {
  useEffect(() => {
    const t = setInterval(() => void reload(), REFRESH_MS);
    return () => clearInterval(t);
  }, [reload]);
}

/**
 * Charts of this account's pipeline, from the read model (`/v1/stats/*`: the events feed, the
 * deliveries and their attempts), refreshed every 30 s: events per minute by status, deliveries by
 * outcome, and attempt latency p50/p99 of the busiest endpoints over the last 24 h.
 */
export function ChartsPage() {
  const [span, setSpan] = useState<StatsWindow>('1h');
  const events = useLoad(() => api<CountStats>('GET', `/v1/stats/events${qs({ window: span })}`), [span]);
  const deliveries = useLoad(() => api<CountStats>('GET', `/v1/stats/deliveries${qs({ window: span })}`), [span]);
  const latency = useLoad(() => api<LatencyStats>('GET', '/v1/stats/latency?window=24h'), []);
  useRefresh(events.reload);
  useRefresh(deliveries.reload);
  useRefresh(latency.reload);

  return (
    <div>
      <div class="page-head">
        <div>
          <h1>Charts</h1>
          <p class="muted">What the pipeline did for this account, from its events feed and delivery log; refreshed every 30 seconds.</p>
        </div>
        <select value={span} name="chart-window" onChange={(e) => setSpan((e.target as HTMLSelectElement).value as StatsWindow)}>
          <option value="1h">Last hour</option>
          <option value="6h">Last 6 hours</option>
          <option value="24h">Last 24 hours</option>
        </select>
      </div>
      <div class="charts">
        <section class="card" aria-label="Events per minute by status">
          <h2>Events per minute, by status</h2>
          <LoadState l={events}>{(s) => <CountChart stats={s} testId="chart-events" empty="No events received in this window." />}</LoadState>
        </section>
        <section class="card" aria-label="Deliveries by outcome">
          <h2>Deliveries by outcome</h2>
          <LoadState l={deliveries}>{(s) => <CountChart stats={s} testId="chart-deliveries" empty="No deliveries created in this window." />}</LoadState>
        </section>
        <section class="card chart-wide" aria-label="Delivery latency per endpoint">
          <h2>Delivery latency per endpoint, last 24 hours (p50 solid, p99 dashed)</h2>
          <LoadState l={latency}>{(s) => <LatencyChart stats={s} />}</LoadState>
        </section>
      </div>
    </div>
  );
}

function CountChart(props: { stats: CountStats; testId: string; empty: string }) {
  const { stats } = props;
  const perMinute = 60 / stats.bucketSeconds;
  const series = useMemo<ChartSeries[]>(
    // Only series with something to show: a line of zeros would hide the others' baseline.
    () => stats.series.filter((s) => s.total > 0).map((s) => ({ label: LABELS[s.key] ?? s.key, color: STATUS_COLORS[s.key] ?? '#344054', values: s.counts.map((c) => c * perMinute) })),
    [stats, perMinute],
  );
  const total = stats.series.reduce((a, s) => a + s.total, 0);
  return (
    <>
      <ul class="chart-legend" data-testid={`${props.testId}-legend`}>
        {stats.series.map((s) => (
          <li key={s.key} data-key={s.key} data-total={s.total}>
            <i style={{ background: STATUS_COLORS[s.key] }} /> {LABELS[s.key] ?? s.key} <b>{s.total.toLocaleString()}</b>
          </li>
        ))}
      </ul>
      {total === 0 ? <Empty>{props.empty}</Empty> : <TimeChart buckets={stats.buckets} series={series} unit="per minute" testId={props.testId} />}
    </>
  );
}

function LatencyChart(props: { stats: LatencyStats }) {
  const { stats } = props;
  const series = useMemo<ChartSeries[]>(
    () =>
      stats.endpoints.flatMap((e, i) => {
        const color = PALETTE[i % PALETTE.length] ?? '#344054';
        return [
          { label: `${e.url} p50`, color, values: e.p50s },
          { label: `${e.url} p99`, color, values: e.p99s, dashed: true },
        ];
      }),
    [stats],
  );
  if (stats.endpoints.length === 0) return <Empty>No delivery attempts in the last 24 hours.</Empty>;
  return (
    <>
      <TimeChart buckets={stats.buckets} series={series} unit="ms" testId="chart-latency" height={260} points />
      <table class="table" data-testid="chart-latency-table">
        <thead>
          <tr>
            <th>Endpoint</th>
            <th>Attempts</th>
            <th>p50</th>
            <th>p99</th>
          </tr>
        </thead>
        <tbody>
          {stats.endpoints.map((e, i) => (
            <tr key={e.endpointId} data-endpoint-id={e.endpointId}>
              <td>
                <i class="swatch" style={{ background: PALETTE[i % PALETTE.length] }} /> <code>{e.url}</code>
              </td>
              <td>{e.attempts.toLocaleString()}</td>
              <td>{e.p50.toLocaleString()} ms</td>
              <td>{e.p99.toLocaleString()} ms</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
