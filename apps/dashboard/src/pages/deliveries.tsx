import { useState } from 'preact/hooks';
import { api } from '../api';
import { Link } from '../router';
import type { Attempt, DeliveryDetail } from '../types';
import { StatusBadge, time, toast, toastError } from '../ui';

const TERMINAL = new Set(['succeeded', 'delivered', 'success', 'failed', 'dead', 'filtered', 'cancelled']);

export function isPending(d: DeliveryDetail): boolean {
  return !TERMINAL.has(d.status);
}

function attemptCount(d: DeliveryDetail): number {
  return Array.isArray(d.attempts) ? d.attempts.length : d.attempts;
}

function attemptLog(d: DeliveryDetail): Attempt[] | null {
  if (d.attemptLog) return d.attemptLog;
  return Array.isArray(d.attempts) ? d.attempts : null;
}

export function RetryButton(props: { delivery: DeliveryDetail; onDone?: () => void }) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      class="btn btn-small"
      disabled={busy}
      title="Attempt this delivery again now"
      onClick={async (e) => {
        e.stopPropagation();
        setBusy(true);
        try {
          await api('POST', `/v1/deliveries/${props.delivery.id}/retry`);
          toast('Retry queued: the delivery will be attempted again now.');
          props.onDone?.();
        } catch (err) {
          toastError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      {busy ? 'Retrying…' : 'Retry now'}
    </button>
  );
}

/**
 * A table of deliveries whose rows open to their attempt log. `loadAttempts` fetches a
 * delivery's attempts when the row does not carry them (the delivery list does not).
 */
export function DeliveriesTable(props: { deliveries: DeliveryDetail[]; showEndpoint: boolean; showEvent?: boolean; onChanged?: () => void }) {
  const [open, setOpen] = useState<Record<string, Attempt[] | 'loading' | undefined>>({});
  const toggle = async (d: DeliveryDetail) => {
    if (open[d.id]) return setOpen({ ...open, [d.id]: undefined });
    const known = attemptLog(d);
    if (known) return setOpen({ ...open, [d.id]: known });
    setOpen({ ...open, [d.id]: 'loading' });
    try {
      const full = await api<DeliveryDetail>('GET', `/v1/deliveries/${d.id}`);
      setOpen((o) => ({ ...o, [d.id]: attemptLog(full) ?? [] }));
    } catch (err) {
      setOpen((o) => ({ ...o, [d.id]: undefined }));
      toastError(err);
    }
  };
  const cols = 6 + (props.showEndpoint ? 1 : 0) + (props.showEvent ? 1 : 0);
  return (
    <table class="table" data-testid="deliveries-table">
      <thead>
        <tr>
          <th>Status</th>
          {props.showEndpoint && <th>Endpoint</th>}
          {props.showEvent && <th>Event</th>}
          <th>Attempts</th>
          <th>Last HTTP</th>
          <th>Last error</th>
          <th>Next attempt</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {props.deliveries.flatMap((d) => {
          const log = open[d.id];
          const rows = [
            <tr key={d.id} class="clickable" onClick={() => toggle(d)} title="Show attempts">
              <td>
                <span class="caret">{log ? '▾' : '▸'}</span> <StatusBadge status={d.status} />
              </td>
              {props.showEndpoint && <td class="mono small url-cell">{d.endpointUrl ?? d.endpointId}</td>}
              {props.showEvent && (
                <td class="mono small">
                  {d.eventId ? (
                    <Link href={`/events/${d.eventId}`}>{d.eventId}</Link>
                  ) : (
                    '—'
                  )}
                </td>
              )}
              <td>{attemptCount(d)}</td>
              <td>{d.lastHttpStatus ?? '—'}</td>
              <td class="small error-cell">{d.lastError ?? '—'}</td>
              <td>{d.nextAttemptAt ? time(d.nextAttemptAt) : '—'}</td>
              <td class="actions">
                <RetryButton delivery={d} onDone={props.onChanged} />
              </td>
            </tr>,
          ];
          if (log) {
            rows.push(
              <tr key={`${d.id}-log`} class="subrow">
                <td colSpan={cols}>
                  {log === 'loading' ? (
                    <span class="muted">Loading attempts…</span>
                  ) : log.length === 0 ? (
                    <span class="muted">No attempts yet.</span>
                  ) : (
                    <table class="table inner">
                      <thead>
                        <tr>
                          <th>#</th>
                          <th>When</th>
                          <th>Outcome</th>
                          <th>HTTP</th>
                          <th>Latency</th>
                          <th>Error / response</th>
                        </tr>
                      </thead>
                      <tbody>
                        {log.map((a) => (
                          <tr key={a.attempt}>
                            <td>{a.attempt}</td>
                            <td>{time(a.attemptedAt)}</td>
                            <td>
                              <StatusBadge status={a.outcome} />
                            </td>
                            <td>{a.httpStatus ?? '—'}</td>
                            <td>{a.latencyMs !== null && a.latencyMs !== undefined ? `${a.latencyMs} ms` : '—'}</td>
                            <td class="small error-cell">{a.error ?? (a.responseBody ? <code>{a.responseBody.slice(0, 300)}</code> : '—')}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </td>
              </tr>,
            );
          }
          return rows;
        })}
      </tbody>
    </table>
  );
}
