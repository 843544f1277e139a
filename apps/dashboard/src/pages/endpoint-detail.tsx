import { useState } from 'preact/hooks';
import { api, qs } from '../api';
import { Link } from '../router';
import type { DeliveryDetail, Endpoint, EndpointHealth, Page } from '../types';
import { Badge, Empty, LoadState, time, toast, toastError, useLoad } from '../ui';
import { DeliveriesTable } from './deliveries';
import { HealthCell, SampleButton } from './endpoints';

export function EndpointDetailPage(props: { id: string }) {
  const id = encodeURIComponent(props.id);
  const endpoint = useLoad(() => api<Endpoint>('GET', `/v1/endpoints/${id}`), [id]);
  const health = useLoad(() => api<EndpointHealth>('GET', `/v1/endpoints/${id}/health`), [id]);
  const deliveries = useLoad(() => api<Page<DeliveryDetail>>('GET', `/v1/deliveries${qs({ endpointId: props.id, limit: 50 })}`), [id]);
  const reload = () => {
    void deliveries.reload();
    void health.reload();
  };

  return (
    <div class="page">
      <div class="page-head">
        <div>
          <div class="crumbs">
            <Link href="/endpoints">Endpoints</Link> / endpoint
          </div>
          <h1 class="mono">{endpoint.data?.url ?? props.id}</h1>
        </div>
      </div>
      <LoadState l={endpoint}>
        {(e) => (
          <section class="card summary">
            <div class="kv">
              <span>State</span>
              <span>{e.enabled ? <Badge kind="ok">enabled</Badge> : <Badge kind="muted">disabled</Badge>} {e.disabledReason && <span class="muted">{e.disabledReason}</span>}</span>
              <span>Event types</span>
              <span class="mono">{e.eventTypes.join(', ')}</span>
              <span>Format</span>
              <span>{e.format}</span>
              <span>Last 24 h</span>
              <span>
                <HealthCell health={health.data ?? null} />
              </span>
              <span>Last success</span>
              <span>{time(health.data?.lastSuccessAt)}</span>
              <span>Last failure</span>
              <span>{time(health.data?.lastFailureAt)}</span>
            </div>
            <div class="row">
              <SampleButton endpoint={e} withType />
              <Replay endpointId={e.id} onDone={reload} />
            </div>
          </section>
        )}
      </LoadState>
      <section class="card">
        <div class="row space">
          <h2>Deliveries</h2>
          <button type="button" class="btn btn-small btn-ghost" onClick={reload}>
            Refresh
          </button>
        </div>
        <LoadState l={deliveries}>
          {(page) =>
            page.data.length === 0 ? (
              <Empty>No deliveries to this endpoint yet.</Empty>
            ) : (
              <DeliveriesTable deliveries={page.data} showEndpoint={false} showEvent onChanged={reload} />
            )
          }
        </LoadState>
      </section>
    </div>
  );
}

function Replay(props: { endpointId: string; onDone: () => void }) {
  const [since, setSince] = useState(() => toLocalInput(new Date(Date.now() - 3600_000)));
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="replay"
      onSubmit={async (ev) => {
        ev.preventDefault();
        setBusy(true);
        try {
          const r = await api<{ count: number }>('POST', `/v1/endpoints/${props.endpointId}/replay`, { since: new Date(since).toISOString() });
          toast(`Replaying ${r.count} deliver${r.count === 1 ? 'y' : 'ies'}.`);
          props.onDone();
        } catch (err) {
          toastError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <label>
        Replay since
        <input type="datetime-local" name="replay-since" value={since} onInput={(e) => setSince(e.currentTarget.value)} />
      </label>
      <button type="submit" class="btn btn-small" disabled={busy}>
        Replay
      </button>
    </form>
  );
}

function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
