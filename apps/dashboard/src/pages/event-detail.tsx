import { useEffect } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { LiveFeed } from '../live';
import { Link } from '../router';
import type { EventDetail } from '../types';
import { Badge, Empty, Json, LoadState, StatusBadge, time, useLoad } from '../ui';
import { DeliveriesTable, isPending } from './deliveries';

export function EventDetailPage(props: { id: string; live: LiveFeed }) {
  const ev = useLoad(() => api<EventDetail>('GET', `/v1/events/${encodeURIComponent(props.id)}`), [props.id]);

  // Follow the event while it is still moving through the pipeline.
  useEffect(() => props.live.onEvent((e) => e.id === props.id && void ev.reload()), [props.live, props.id]);
  const moving = !!ev.data && (ev.data.summary.status === 'received' || ev.data.deliveries.some(isPending));
  useEffect(() => {
    if (!moving) return;
    const t = setInterval(() => void ev.reload(), 3000);
    return () => clearInterval(t);
  }, [moving, props.id]);

  if (ev.error instanceof ApiError && ev.error.status === 404) {
    return (
      <div class="page">
        <Empty>
          No event <code>{props.id}</code> in this account. <Link href="/feed">Back to the feed</Link>
        </Empty>
      </div>
    );
  }

  return (
    <div class="page" data-testid="event-detail">
      <div class="page-head">
        <div>
          <div class="crumbs">
            <Link href="/feed">Live feed</Link> / event
          </div>
          <h1 class="mono">{props.id}</h1>
        </div>
      </div>
      <LoadState l={ev}>
        {(d) => (
          <>
            <section class="card summary">
              <div class="kv">
                <span>Status</span>
                <span>
                  <StatusBadge status={d.summary.status} />
                </span>
                <span>Type</span>
                <span class="mono">{d.summary.type ?? '—'}</span>
                <span>Received</span>
                <span>{time(d.summary.receivedAt)}</span>
                <span>Occurred</span>
                <span>{time(d.summary.occurredAt)}</span>
                <span>Dialect</span>
                <span>{d.summary.dialect ?? '—'}</span>
                <span>Source</span>
                <span class="mono">{d.summary.sourceId}</span>
              </div>
              {d.summary.status === 'received' && <p class="muted">Validating and enriching… this page updates by itself.</p>}
            </section>

            {d.rejection && (
              <section class="card">
                <h2>Why it was rejected</h2>
                <table class="table" data-testid="rejection-reasons">
                  <thead>
                    <tr>
                      <th>Field</th>
                      <th>Rule</th>
                      <th>Message</th>
                      <th>Value</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.rejection.reasons.map((r, i) => (
                      <tr key={i}>
                        <td class="mono">{r.path || '(body)'}</td>
                        <td class="mono">{r.rule}</td>
                        <td>{r.message}</td>
                        <td class="mono small">{r.value ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            )}

            {d.duplicate && (
              <section class="card">
                <h2>Duplicate</h2>
                <p>
                  Same as <Link href={`/events/${d.duplicate.originalEventId}`}>{d.duplicate.originalEventId}</Link> (dedupe key <code>{d.duplicate.dedupeKey}</code>); it was not processed again.
                </p>
              </section>
            )}

            {d.canonical && (
              <section class="card" data-testid="canonical-event">
                <h2>Canonical event</h2>
                <p class="muted">What Hookstream made of the payload, after enrichment — the shape your endpoints receive.</p>
                <Json value={d.canonical} />
              </section>
            )}

            {d.enrichment && (
              <section class="card">
                <h2>Enrichment</h2>
                <div class="chips">
                  {d.enrichment.applied.length === 0 ? <span class="muted">Nothing was added.</span> : d.enrichment.applied.map((a) => <Badge key={a} kind="info">{a}</Badge>)}
                </div>
                {d.enrichment.warnings.length > 0 && (
                  <ul class="warnings">
                    {d.enrichment.warnings.map((w, i) => (
                      <li key={i}>{w}</li>
                    ))}
                  </ul>
                )}
              </section>
            )}

            <section class="card">
              <h2>Deliveries</h2>
              {d.deliveries.length === 0 ? (
                <p class="muted">{d.summary.status === 'accepted' ? 'No endpoint subscribed to this event.' : 'Only accepted events are delivered.'}</p>
              ) : (
                <DeliveriesTable deliveries={d.deliveries} showEndpoint onChanged={() => void ev.reload()} />
              )}
            </section>

            {d.raw && (
              <section class="card">
                <h2>Raw request</h2>
                <div class="kv">
                  <span>Content type</span>
                  <span class="mono">{d.raw.contentType ?? '—'}</span>
                </div>
                {d.raw.headers && Object.keys(d.raw.headers).length > 0 && (
                  <table class="table inner">
                    <tbody>
                      {Object.entries(d.raw.headers).map(([k, v]) => (
                        <tr key={k}>
                          <td class="mono">{k}</td>
                          <td class="mono small">{String(v)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
                <h3>Body</h3>
                <Json value={d.raw.body} />
              </section>
            )}
          </>
        )}
      </LoadState>
    </div>
  );
}
