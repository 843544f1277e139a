import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, qs } from '../api';
import type { LiveFeed } from '../live';
import { Link, navigate, useLocation } from '../router';
import { EVENT_STATUSES, verdictText, type EventSummary, type Page, type Source, type TestEventSent } from '../types';
import { Empty, LoadState, StatusBadge, ago, time, toast, toastError, useLoad } from '../ui';

const MAX_ROWS = 300;

interface Filters {
  type: string;
  status: string;
  sourceId: string;
}

function matches(e: EventSummary, f: Filters): boolean {
  return (!f.type || e.type === f.type) && (!f.status || e.status === f.status) && (!f.sourceId || e.sourceId === f.sourceId);
}

export function FeedPage(props: { live: LiveFeed }) {
  const { query } = useLocation();
  const filters: Filters = { type: query.get('type') ?? '', status: query.get('status') ?? '', sourceId: query.get('sourceId') ?? '' };
  const key = `${filters.type}|${filters.status}|${filters.sourceId}`;
  const setFilter = (k: keyof Filters, v: string) => navigate(`/feed${qs({ ...filters, [k]: v })}`, true);

  const sources = useLoad(() => api<Page<Source>>('GET', '/v1/sources?limit=200'), []);
  const sourceName = useMemo(() => new Map((sources.data?.data ?? []).map((s) => [s.id, s.name])), [sources.data]);
  const events = useLoad(() => api<Page<EventSummary>>('GET', `/v1/events${qs({ ...filters, limit: 50 })}`), [key]);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [seenTypes, setSeenTypes] = useState<Set<string>>(new Set());

  useEffect(() => {
    const offEvent = props.live.onEvent((e) => {
      if (e.type) setSeenTypes((s) => (s.has(e.type as string) ? s : new Set(s).add(e.type as string)));
      events.set((page) => {
        if (!page) return page;
        const i = page.data.findIndex((x) => x.id === e.id);
        if (i >= 0) {
          // A status change (received → accepted, deliveries done) replaces the row in place,
          // or drops it once it no longer matches the filters.
          const data = matches(e, filters) ? page.data.map((x) => (x.id === e.id ? e : x)) : page.data.filter((x) => x.id !== e.id);
          return { ...page, data };
        }
        if (!matches(e, filters)) return page;
        return { ...page, data: [e, ...page.data].slice(0, MAX_ROWS) };
      });
      setFresh((s) => new Set(s).add(e.id));
      setTimeout(() => setFresh((s) => {
        const n = new Set(s);
        n.delete(e.id);
        return n;
      }), 2500);
    });
    // Coming back from a dropped connection: reload what may have been missed meanwhile.
    let first = true;
    const offState = props.live.onState((s) => {
      if (s === 'live' && !first) void events.reload();
      first = false;
    });
    return () => {
      offEvent();
      offState();
    };
    // `filters` is derived from `key`, so key is the whole dependency.
  }, [props.live, key]);

  const types = useMemo(() => {
    const t = new Set(seenTypes);
    for (const e of events.data?.data ?? []) if (e.type) t.add(e.type);
    return [...t].sort();
  }, [events.data, seenTypes]);

  const loadMore = async () => {
    const cursor = events.data?.nextCursor;
    if (!cursor) return;
    try {
      const more = await api<Page<EventSummary>>('GET', `/v1/events${qs({ ...filters, limit: 50, cursor })}`);
      events.set((p) => p && { data: [...p.data, ...more.data.filter((m) => !p.data.some((x) => x.id === m.id))], nextCursor: more.nextCursor });
    } catch (err) {
      toastError(err);
    }
  };

  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Live feed</h1>
          <p class="muted">Every webhook your sources receive, newest first, as it happens. Click an event for its full story.</p>
        </div>
        <FeedTestButton source={(sources.data?.data ?? []).find((s) => s.id === filters.sourceId) ?? sources.data?.data[0]} />
      </div>
      <div class="filters card">
        <label>
          Type
          <input name="filter-type" list="event-types" placeholder="any type" value={filters.type} onChange={(e) => setFilter('type', e.currentTarget.value.trim())} />
          <datalist id="event-types">
            {types.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <label>
          Status
          <select name="filter-status" value={filters.status} onChange={(e) => setFilter('status', e.currentTarget.value)}>
            <option value="">any status</option>
            {EVENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Source
          <select name="filter-source" value={filters.sourceId} onChange={(e) => setFilter('sourceId', e.currentTarget.value)}>
            <option value="">all sources</option>
            {(sources.data?.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        {(filters.type || filters.status || filters.sourceId) && (
          <button type="button" class="btn btn-small btn-ghost" onClick={() => navigate('/feed', true)}>
            Clear filters
          </button>
        )}
      </div>
      <LoadState l={events}>
        {(page) =>
          page.data.length === 0 ? (
            <Empty>
              No events yet{filters.type || filters.status || filters.sourceId ? ' matching these filters' : ''}. Send one with “Send test event” on the{' '}
              <Link href="/sources">Sources</Link> page — it appears here within seconds.
            </Empty>
          ) : (
            <>
              <table class="table feed" data-testid="feed-table">
                <thead>
                  <tr>
                    <th>Received</th>
                    <th>Status</th>
                    <th>Type</th>
                    <th>Who</th>
                    <th>Where</th>
                    <th>What</th>
                    <th>Source</th>
                    <th>Deliveries</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((e) => (
                    <tr
                      key={e.id}
                      class={`clickable ${fresh.has(e.id) ? 'fresh' : ''}`}
                      data-testid="feed-row"
                      data-event-id={e.id}
                      data-status={e.status}
                      onClick={() => navigate(`/events/${e.id}`)}
                    >
                      <td title={time(e.receivedAt)}>
                        <Link href={`/events/${e.id}`}>{ago(e.receivedAt)}</Link>
                      </td>
                      <td>
                        <StatusBadge status={e.status} />
                        {e.reasons > 0 && <span class="muted small"> {e.reasons} reason{e.reasons > 1 ? 's' : ''}</span>}
                      </td>
                      <td class="mono">{e.type ?? '—'}</td>
                      <td>{person(e)}</td>
                      <td>{[e.location?.city, e.location?.countryCode ?? e.location?.country].filter(Boolean).join(', ') || '—'}</td>
                      <td>
                        {e.product?.name ?? '—'}
                        {e.amount !== null && e.amount !== undefined && <span class="muted"> · {e.amount} {e.currency ?? ''}</span>}
                      </td>
                      <td>{sourceName.get(e.sourceId) ?? <span class="mono small">{e.sourceId}</span>}</td>
                      <td>{deliveries(e)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {page.nextCursor && (
                <div class="center">
                  <button type="button" class="btn" onClick={loadMore}>
                    Load older events
                  </button>
                </div>
              )}
            </>
          )
        }
      </LoadState>
    </div>
  );
}

function person(e: EventSummary): string {
  const p = e.person;
  if (!p) return '—';
  const name = [p.firstName, p.lastName].filter(Boolean).join(' ');
  return [name, p.emailMasked].filter(Boolean).join(' · ') || '—';
}

function deliveries(e: EventSummary) {
  const d = e.deliveries;
  if (!d || d.total === 0) return <span class="muted">—</span>;
  return (
    <span class={d.failed > 0 ? 'text-bad' : d.succeeded === d.total ? 'text-ok' : ''}>
      {d.succeeded}/{d.total} delivered{d.failed > 0 ? `, ${d.failed} failed` : ''}
    </span>
  );
}

/** Sends a test event without leaving the feed, so it can be watched arriving. */
function FeedTestButton(props: { source: Source | undefined }) {
  const [busy, setBusy] = useState(false);
  const s = props.source;
  if (!s) return null;
  return (
    <div class="feed-test">
      <button
        type="button"
        class="btn btn-primary"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            const sent = await api<TestEventSent>('POST', `/v1/sources/${s.id}/test-event`);
            toast(
              <span data-testid="test-event-verdict">
                Test event sent to “{s.name}” — {verdictText(sent.verdict)}. Watch it arrive below.
              </span>,
              sent.verdict.valid ? 'ok' : 'error',
            );
          } catch (err) {
            toastError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Sending…' : 'Send test event'}
      </button>
      <span class="muted small">to {s.name}</span>
    </div>
  );
}
