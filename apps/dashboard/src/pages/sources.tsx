import { useState } from 'preact/hooks';
import { api } from '../api';
import { Link } from '../router';
import { curlExample } from '../samples';
import { DIALECTS, verdictText, type Dialect, type Page, type Source, type SourceWithToken, type TestEventSent } from '../types';
import { Badge, CodeBlock, CopyField, Empty, LoadState, ShownOnce, ago, toast, toastError, useLoad } from '../ui';

const DIALECT_HELP: Record<Dialect, string> = {
  auto: 'Detect from each payload',
  activly: 'Activly social-proof events',
  provesource: 'ProveSource webhooks',
  activecampaign: 'ActiveCampaign (form posts)',
  generic: 'Any JSON with a type field',
};

export function SourcesPage() {
  const sources = useLoad(() => api<Page<Source>>('GET', '/v1/sources?limit=200'), []);
  const [created, setCreated] = useState<{ title: string; result: SourceWithToken } | null>(null);

  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Sources</h1>
          <p class="muted">A source is a URL that accepts webhooks from one sender. Point your platform at it, then watch events arrive in the live feed.</p>
        </div>
      </div>

      {created && (
        <ShownOnce title={created.title} onClose={() => setCreated(null)}>
          <CopyField label="Webhook URL" value={created.result.url} testId="source-url" />
          <CopyField label="Token" value={created.result.token} />
          <p class="muted">Try it from a terminal:</p>
          <CodeBlock code={curlExample(created.result.url, created.result.source.dialect)} />
          <div class="row">
            <TestEventButton source={created.result.source} primary />
            <Link href="/feed" class="btn">
              Open live feed →
            </Link>
          </div>
        </ShownOnce>
      )}

      <CreateSource
        onCreated={(r) => {
          setCreated({ title: `Source “${r.source.name}” created`, result: r });
          sources.set((p) => p && { ...p, data: [r.source, ...p.data] });
        }}
      />

      <LoadState l={sources}>
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No sources yet. Create one above to get a webhook URL.</Empty>
          ) : (
            <table class="table" data-testid="sources-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Dialect</th>
                  <th>Ingest URL</th>
                  <th>Created</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {page.data.map((s) => (
                  <tr key={s.id} data-testid="source-row" data-source-id={s.id}>
                    <td>
                      <strong>{s.name}</strong> {!s.enabled && <Badge kind="muted">disabled</Badge>}
                      <div class="muted mono small">{s.id}</div>
                    </td>
                    <td>{s.dialect}</td>
                    <td class="mono small url-cell" title="The token is shown only when the source is created or its token rotated">
                      {s.url}?token=…
                    </td>
                    <td title={s.createdAt}>{ago(s.createdAt)}</td>
                    <td class="actions">
                      <TestEventButton source={s} />
                      <RotateButton source={s} onRotated={(r) => setCreated({ title: `New token for “${s.name}”`, result: r })} />
                      <Link href={`/feed?sourceId=${encodeURIComponent(s.id)}`} class="btn btn-small btn-ghost">
                        Events
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </LoadState>
    </div>
  );
}

function CreateSource(props: { onCreated: (r: SourceWithToken) => void }) {
  const [name, setName] = useState('');
  const [dialect, setDialect] = useState<Dialect>('auto');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      props.onCreated(await api<SourceWithToken>('POST', '/v1/sources', { name: name.trim(), dialect }));
      setName('');
    } catch (err) {
      toastError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card form-inline" onSubmit={submit} aria-label="Create a source">
      <h3>New source</h3>
      <label>
        Name
        <input name="source-name" value={name} placeholder="My shop" required maxLength={200} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        Payload dialect
        <select name="source-dialect" value={dialect} onChange={(e) => setDialect(e.currentTarget.value as Dialect)}>
          {DIALECTS.map((d) => (
            <option key={d} value={d}>
              {d} — {DIALECT_HELP[d]}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="btn btn-primary" disabled={busy || !name.trim()}>
        {busy ? 'Creating…' : 'Create source'}
      </button>
    </form>
  );
}

function TestEventButton(props: { source: Source; primary?: boolean }) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      class={`btn ${props.primary ? 'btn-primary' : 'btn-small'}`}
      disabled={busy}
      onClick={async () => {
        setBusy(true);
        try {
          const { id, verdict } = await api<TestEventSent>('POST', `/v1/sources/${props.source.id}/test-event`);
          toast(
            <span data-testid="test-event-verdict">
              Test event sent to “{props.source.name}” — {verdictText(verdict)}. <Link href={`/events/${id}`}>View it</Link> or watch the <Link href="/feed">live feed</Link>.
            </span>,
            verdict.valid ? 'ok' : 'error',
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
  );
}

function RotateButton(props: { source: Source; onRotated: (r: SourceWithToken) => void }) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      class="btn btn-small btn-ghost"
      disabled={busy}
      title="Issue a new token; the current one keeps working for one hour"
      onClick={async () => {
        if (!confirm(`Rotate the token of “${props.source.name}”? The current URL keeps working for one hour.`)) return;
        setBusy(true);
        try {
          props.onRotated(await api<SourceWithToken>('POST', `/v1/sources/${props.source.id}/rotate-token`, { gracePeriodSeconds: 3600 }));
          scrollTo({ top: 0, behavior: 'smooth' });
        } catch (err) {
          toastError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      Rotate token
    </button>
  );
}
