import { useState } from 'preact/hooks';
import { api } from '../api';
import { loadEventTypes, withType, type EventTypeDoc } from '../event-types';
import { Link } from '../router';
import type { Endpoint, EndpointHealth, EndpointWithSecret, Page, SampleResult } from '../types';
import { Badge, CopyField, Empty, LoadState, ShownOnce, ago, toast, toastError, useLoad } from '../ui';

interface Row {
  endpoint: Endpoint;
  health: EndpointHealth | null;
}

async function loadRows(): Promise<Row[]> {
  const page = await api<Page<Endpoint>>('GET', '/v1/endpoints?limit=200');
  return Promise.all(
    page.data.map(async (endpoint) => ({
      endpoint,
      health: await api<EndpointHealth>('GET', `/v1/endpoints/${endpoint.id}/health`).catch(() => null),
    })),
  );
}

export function EndpointsPage() {
  const rows = useLoad(loadRows, []);
  const [secret, setSecret] = useState<EndpointWithSecret | null>(null);

  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Endpoints</h1>
          <p class="muted">Where Hookstream delivers events: signed (Standard Webhooks) HTTP POSTs, retried until they succeed.</p>
        </div>
      </div>
      {secret && (
        <ShownOnce title={`Endpoint created: ${secret.endpoint.url}`} onClose={() => setSecret(null)}>
          {(secret.warnings ?? []).map((w) => (
            <p key={w.code} class="once-warn" data-testid="endpoint-url-warning">
              Warning: {w.message}
            </p>
          ))}
          <CopyField label="Signing secret" value={secret.secret} testId="endpoint-secret" />
          <p class="muted">
            Verify the <code>webhook-signature</code> header of each delivery with this secret (any Standard Webhooks library does it).
          </p>
        </ShownOnce>
      )}
      <CreateEndpoint
        onCreated={(r) => {
          setSecret(r);
          void rows.reload();
        }}
      />
      <LoadState l={rows}>
        {(list) =>
          list.length === 0 ? (
            <Empty>No endpoints yet. Add the URL of a receiver above.</Empty>
          ) : (
            <table class="table" data-testid="endpoints-table">
              <thead>
                <tr>
                  <th>Endpoint</th>
                  <th>Event types</th>
                  <th>State</th>
                  <th>Last 24 h</th>
                  <th>Last success</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {list.map((r) => (
                  <EndpointRow key={r.endpoint.id} row={r} onChanged={() => void rows.reload()} />
                ))}
              </tbody>
            </table>
          )
        }
      </LoadState>
    </div>
  );
}

export function HealthCell(props: { health: EndpointHealth | null }) {
  const h = props.health;
  if (!h) return <span class="muted">—</span>;
  const { attempts, succeeded, failed } = h.last24h;
  if (attempts === 0) return <span class="muted">no attempts</span>;
  const rate = Math.round((succeeded / attempts) * 100);
  return (
    <span title={`${succeeded} succeeded, ${failed} failed of ${attempts} attempts`}>
      <span class={`health-bar ${rate >= 95 ? 'ok' : rate >= 50 ? 'warn' : 'bad'}`}>
        <i style={{ width: `${rate}%` }} />
      </span>{' '}
      {rate}% of {attempts}
      {h.failingSince && <div class="text-bad small">failing since {ago(h.failingSince)}</div>}
    </span>
  );
}

function EndpointRow(props: { row: Row; onChanged: () => void }) {
  const { endpoint: e, health } = props.row;
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    setBusy(true);
    try {
      await api('POST', `/v1/endpoints/${e.id}/${e.enabled ? 'disable' : 'enable'}`);
      toast(`Endpoint ${e.enabled ? 'disabled: no more deliveries to it' : 'enabled'}.`);
      props.onChanged();
    } catch (err) {
      toastError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr data-testid="endpoint-row" data-endpoint-id={e.id}>
      <td>
        <Link href={`/endpoints/${e.id}`} class="mono url-cell">
          {e.url}
        </Link>
        {e.description && <div class="muted small">{e.description}</div>}
      </td>
      <td class="mono small">{e.eventTypes.join(', ')}</td>
      <td>
        {e.enabled ? <Badge kind="ok">enabled</Badge> : <Badge kind="muted" title={e.disabledReason ?? undefined}>disabled</Badge>}
        {!e.enabled && e.disabledReason && <div class="muted small">{e.disabledReason}</div>}
      </td>
      <td>
        <HealthCell health={health} />
      </td>
      <td>{ago(health?.lastSuccessAt)}</td>
      <td class="actions">
        <SampleButton endpoint={e} />
        <button type="button" class="btn btn-small btn-ghost" disabled={busy} onClick={toggle}>
          {e.enabled ? 'Disable' : 'Enable'}
        </button>
        <Link href={`/endpoints/${e.id}`} class="btn btn-small btn-ghost">
          Attempts
        </Link>
      </td>
    </tr>
  );
}

export function SampleButton(props: { endpoint: Endpoint; withType?: boolean }) {
  const [busy, setBusy] = useState(false);
  const [type, setType] = useState('purchase');
  const types = useLoad(() => (props.withType ? loadEventTypes() : Promise.resolve([])), [props.withType]);
  const send = async () => {
    setBusy(true);
    try {
      const r = await api<SampleResult>('POST', `/v1/endpoints/${props.endpoint.id}/sample`, { eventType: type });
      const ok = r.httpStatus !== null && r.httpStatus >= 200 && r.httpStatus < 300;
      toast(
        `Sample “${type}” → ${r.outcome}${r.httpStatus ? ` (HTTP ${r.httpStatus})` : ''}${r.latencyMs !== null ? ` in ${r.latencyMs} ms` : ''}${r.error ? `: ${r.error}` : ''}`,
        ok ? 'ok' : 'error',
        8000,
      );
    } catch (err) {
      toastError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="sample">
      {props.withType && (
        <select name="sample-type" value={type} onChange={(ev) => setType(ev.currentTarget.value)}>
          {(types.data?.length ? types.data.map((t) => t.type) : ['purchase']).map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      )}
      <button type="button" class="btn btn-small" disabled={busy} onClick={send} title="POST a signed sample event to this endpoint now">
        {busy ? 'Sending…' : 'Send sample data'}
      </button>
    </span>
  );
}

function CreateEndpoint(props: { onCreated: (r: EndpointWithSecret) => void }) {
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState('*');
  const [format, setFormat] = useState<'json' | 'form'>('json');
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    try {
      const eventTypes = types.split(/[\s,]+/).filter(Boolean);
      const body: Record<string, unknown> = { url: url.trim(), eventTypes, format };
      if (description.trim()) body['description'] = description.trim();
      props.onCreated(await api<EndpointWithSecret>('POST', '/v1/endpoints', body));
      setUrl('');
      setDescription('');
    } catch (err) {
      toastError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card form-inline" onSubmit={submit} aria-label="Create an endpoint">
      <h3>New endpoint</h3>
      <label class="grow">
        URL
        <input name="endpoint-url" type="url" required placeholder="https://example.com/webhooks" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
      </label>
      <label>
        Event types
        <input name="endpoint-types" value={types} title="Comma-separated: exact types, prefix.* or *" onInput={(e) => setTypes(e.currentTarget.value)} />
      </label>
      <label>
        Format
        <select name="endpoint-format" value={format} onChange={(e) => setFormat(e.currentTarget.value as 'json' | 'form')}>
          <option value="json">JSON</option>
          <option value="form">form-encoded</option>
        </select>
      </label>
      <label>
        Description
        <input name="endpoint-description" value={description} placeholder="optional" onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <button type="submit" class="btn btn-primary" disabled={busy || !url.trim()}>
        {busy ? 'Creating…' : 'Create endpoint'}
      </button>
      <EventTypeCatalog onAdd={(t) => setTypes((cur) => withType(cur, t))} />
    </form>
  );
}

/**
 * What each event type delivers: its description, an example body and its JSON Schema, from the
 * same catalog as the API reference's webhooks and "Send sample data".
 */
export function EventTypeCatalog(props: { onAdd?: (type: string) => void }) {
  const l = useLoad(loadEventTypes, []);
  const [selected, setSelected] = useState('purchase');
  return (
    <details class="event-types" aria-label="Event types">
      <summary>What each event type sends (schema and example)</summary>
      <LoadState l={l}>
        {(types: EventTypeDoc[]) => {
          const doc = types.find((t) => t.type === selected) ?? types[0];
          return (
            <div class="event-types-body">
              <label>
                Event type
                <select name="catalog-type" value={doc?.type} onChange={(e) => setSelected(e.currentTarget.value)}>
                  {types.map((t) => (
                    <option key={t.type} value={t.type}>
                      {t.type}
                    </option>
                  ))}
                </select>
              </label>
              {doc && props.onAdd && (
                <button type="button" class="btn btn-small" onClick={() => props.onAdd?.(doc.type)}>
                  Subscribe to {doc.type}
                </button>
              )}
              {doc && (
                <>
                  <p class="small">{doc.description.split('`').map((part, i) => (i % 2 ? <code key={i}>{part}</code> : part))}</p>
                  <div class="event-types-pair">
                    <section>
                      <h4>Example body</h4>
                      <pre class="mono small" data-testid="event-type-example">{JSON.stringify(doc.example, null, 2)}</pre>
                    </section>
                    <section>
                      <h4>JSON Schema</h4>
                      <pre class="mono small" data-testid="event-type-schema">{JSON.stringify(doc.schema, null, 2)}</pre>
                    </section>
                  </div>
                </>
              )}
            </div>
          );
        }}
      </LoadState>
    </details>
  );
}
