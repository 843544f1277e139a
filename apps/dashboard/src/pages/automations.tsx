import { useState } from 'preact/hooks';
import { api } from '../api';
import type { ActionType, Automation, AutomationAction, Endpoint, Page, Source } from '../types';
import { Badge, Empty, LoadState, ago, toast, toastError, useLoad } from '../ui';

const TRIGGER_TYPES = ['purchase', 'signup', 'review', 'custom', 'contact.*', 'deal.*', '*'];
const ACTIONS: { type: ActionType; label: string }[] = [
  { type: 'webhook', label: 'Send to endpoint' },
  { type: 'add_tag', label: 'Add tag' },
  { type: 'remove_tag', label: 'Remove tag' },
  { type: 'add_to_list', label: 'Add to list' },
  { type: 'remove_from_list', label: 'Remove from list' },
];

export function AutomationsPage() {
  const automations = useLoad(() => api<Page<Automation>>('GET', '/v1/automations?limit=200'), []);
  const refs = useLoad(
    async () => {
      const [sources, endpoints] = await Promise.all([api<Page<Source>>('GET', '/v1/sources?limit=200'), api<Page<Endpoint>>('GET', '/v1/endpoints?limit=200')]);
      return { sources: sources.data, endpoints: endpoints.data };
    },
    [],
  );
  const sourceName = (id: string) => refs.data?.sources.find((s) => s.id === id)?.name ?? id;
  const endpointUrl = (id: string) => refs.data?.endpoints.find((e) => e.id === id)?.url ?? id;

  const describe = (a: AutomationAction): string => {
    switch (a.type) {
      case 'webhook':
        return `send to ${endpointUrl(a.endpointId ?? '')}`;
      case 'add_tag':
        return `add tag “${a.tag}”`;
      case 'remove_tag':
        return `remove tag “${a.tag}”`;
      case 'add_to_list':
        return `add to list ${a.listId}`;
      case 'remove_from_list':
        return `remove from list ${a.listId}`;
    }
  };

  const setEnabled = async (a: Automation, enabled: boolean) => {
    try {
      await api('PATCH', `/v1/automations/${a.id}`, { enabled });
      void automations.reload();
    } catch (err) {
      toastError(err);
    }
  };
  const remove = async (a: Automation) => {
    if (!confirm(`Delete the automation “${a.name}”?`)) return;
    try {
      await api('DELETE', `/v1/automations/${a.id}`);
      void automations.reload();
    } catch (err) {
      toastError(err);
    }
  };

  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Automations</h1>
          <p class="muted">When an event of a type arrives, do something: deliver it to an endpoint, tag the contact, or add it to a list.</p>
        </div>
      </div>
      {refs.data && (
        <CreateAutomation
          sources={refs.data.sources}
          endpoints={refs.data.endpoints}
          onCreated={() => {
            toast('Automation created. It applies to the next matching event.');
            void automations.reload();
          }}
        />
      )}
      <LoadState l={automations}>
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No automations yet.</Empty>
          ) : (
            <table class="table" data-testid="automations-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>When</th>
                  <th>Then</th>
                  <th>Created</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {page.data.map((a) => (
                  <tr key={a.id}>
                    <td>
                      <strong>{a.name}</strong> {!a.enabled && <Badge kind="muted">paused</Badge>}
                    </td>
                    <td>
                      <span class="mono">{a.trigger.eventTypes.join(', ')}</span>
                      <div class="muted small">{a.trigger.sourceIds ? `from ${a.trigger.sourceIds.map(sourceName).join(', ')}` : 'from any source'}</div>
                    </td>
                    <td>
                      <ul class="plain">
                        {a.actions.map((x, i) => (
                          <li key={i}>{describe(x)}</li>
                        ))}
                      </ul>
                    </td>
                    <td>{ago(a.createdAt)}</td>
                    <td class="actions">
                      <button type="button" class="btn btn-small btn-ghost" onClick={() => setEnabled(a, !a.enabled)}>
                        {a.enabled ? 'Pause' : 'Resume'}
                      </button>
                      <button type="button" class="btn btn-small btn-ghost btn-danger" onClick={() => remove(a)}>
                        Delete
                      </button>
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

function CreateAutomation(props: { sources: Source[]; endpoints: Endpoint[]; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [types, setTypes] = useState<string[]>(['purchase']);
  const [sourceId, setSourceId] = useState('');
  const [actions, setActions] = useState<AutomationAction[]>([{ type: 'add_tag', tag: '' }]);
  const [busy, setBusy] = useState(false);

  const toggleType = (t: string) => setTypes((ts) => (ts.includes(t) ? ts.filter((x) => x !== t) : [...ts, t]));
  const updateAction = (i: number, a: AutomationAction) => setActions((as) => as.map((x, j) => (j === i ? a : x)));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api('POST', '/v1/automations', {
        name: name.trim(),
        trigger: { eventTypes: types, ...(sourceId ? { sourceIds: [sourceId] } : {}) },
        actions: actions.map(clean),
      });
      setName('');
      props.onCreated();
    } catch (err) {
      toastError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" onSubmit={submit} aria-label="Create an automation">
      <h3>New automation</h3>
      <div class="form-grid">
        <label>
          Name
          <input name="automation-name" required value={name} placeholder="Tag buyers" onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          From source
          <select name="automation-source" value={sourceId} onChange={(e) => setSourceId(e.currentTarget.value)}>
            <option value="">any source</option>
            {props.sources.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <fieldset>
        <legend>When an event of type</legend>
        <div class="chips">
          {TRIGGER_TYPES.map((t) => (
            <label key={t} class={`chip ${types.includes(t) ? 'on' : ''}`}>
              <input type="checkbox" checked={types.includes(t)} onChange={() => toggleType(t)} /> {t}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>Then</legend>
        {actions.map((a, i) => (
          <div class="row" key={i}>
            <select value={a.type} onChange={(e) => updateAction(i, { type: e.currentTarget.value as ActionType })} aria-label="Action">
              {ACTIONS.map((x) => (
                <option key={x.type} value={x.type}>
                  {x.label}
                </option>
              ))}
            </select>
            {a.type === 'webhook' ? (
              <select value={a.endpointId ?? ''} required onChange={(e) => updateAction(i, { ...a, endpointId: e.currentTarget.value })} aria-label="Endpoint">
                <option value="">choose an endpoint…</option>
                {props.endpoints.map((ep) => (
                  <option key={ep.id} value={ep.id}>
                    {ep.url}
                  </option>
                ))}
              </select>
            ) : a.type === 'add_tag' || a.type === 'remove_tag' ? (
              <input required placeholder="tag" value={a.tag ?? ''} onInput={(e) => updateAction(i, { ...a, tag: e.currentTarget.value })} aria-label="Tag" />
            ) : (
              <input required placeholder="list id" value={a.listId ?? ''} onInput={(e) => updateAction(i, { ...a, listId: e.currentTarget.value })} aria-label="List id" />
            )}
            {actions.length > 1 && (
              <button type="button" class="btn btn-small btn-ghost" onClick={() => setActions((as) => as.filter((_, j) => j !== i))}>
                Remove
              </button>
            )}
          </div>
        ))}
        <button type="button" class="btn btn-small btn-ghost" onClick={() => setActions((as) => [...as, { type: 'add_tag', tag: '' }])}>
          + Add action
        </button>
      </fieldset>
      <button type="submit" class="btn btn-primary" disabled={busy || !name.trim() || types.length === 0}>
        {busy ? 'Creating…' : 'Create automation'}
      </button>
    </form>
  );
}

/** Only the field an action type uses: the API refuses unknown or stray fields. */
function clean(a: AutomationAction): AutomationAction {
  if (a.type === 'webhook') return { type: a.type, endpointId: a.endpointId };
  if (a.type === 'add_tag' || a.type === 'remove_tag') return { type: a.type, tag: a.tag?.trim() };
  return { type: a.type, listId: a.listId?.trim() };
}
