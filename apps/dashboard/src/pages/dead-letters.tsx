import { useState } from 'preact/hooks';
import { api, ApiError, errorText, qs } from '../api';
import type { DlqMessage, DlqState, Page } from '../types';
import { Badge, Empty, time, toast, toastError, useLoad } from '../ui';

const STATE_KIND: Record<DlqState, string> = { pending: 'warn', replayed: 'ok', discarded: 'muted' };

/**
 * Messages a pipeline stage gave up on (`*.dlq` topics), of this account: the error, attempts and
 * the consumer group that failed; replay one to its original topic for that group, or discard it
 * with a reason. Needs an admin-scoped API key.
 */
export function DeadLettersPage() {
  const [state, setState] = useState<DlqState>('pending');
  const rows = useLoad(() => api<Page<DlqMessage>>('GET', `/v1/dlq/messages${qs({ state, limit: 100 })}`), [state]);
  const forbidden = rows.error instanceof ApiError && rows.error.status === 403;

  return (
    <div>
      <div class="page-head">
        <div>
          <h1>Dead letters</h1>
          <p class="muted">
            Messages a pipeline stage gave up on after its retries. Replay sends one back to its topic for the consumer group that failed (once); discard
            records who dropped it and why.
          </p>
        </div>
        <select value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value as DlqState)} data-testid="dlq-state">
          <option value="pending">Pending</option>
          <option value="replayed">Replayed</option>
          <option value="discarded">Discarded</option>
        </select>
      </div>
      {forbidden ? (
        <div class="alert alert-error" data-testid="dlq-forbidden">
          Dead letters need an admin-scoped API key. Log in with one (an admin key creates others; the CLI makes the first: <code>create-api-key --scope admin</code>).
        </div>
      ) : rows.data === undefined ? (
        <div class={rows.error ? 'alert alert-error' : 'muted pad'}>{rows.error ? errorText(rows.error) : 'Loading…'}</div>
      ) : rows.data.data.length === 0 ? (
        <Empty>No {state} dead letters.</Empty>
      ) : (
        <table class="table" data-testid="dlq-table">
          <thead>
            <tr>
              <th>Failed</th>
              <th>Topic</th>
              <th>Consumer group</th>
              <th>Attempts</th>
              <th>Error</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.data.data.map((m) => (
              <DeadLetterRow key={m.id} m={m} onChanged={() => void rows.reload()} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function DeadLetterRow(props: { m: DlqMessage; onChanged: () => void }) {
  const { m } = props;
  const [busy, setBusy] = useState(false);
  const act = async (what: 'replay' | 'discard') => {
    let body: unknown;
    if (what === 'discard') {
      const reason = prompt('Why discard this message? (kept in the record)');
      if (!reason || !reason.trim()) return;
      body = { reason: reason.trim() };
    }
    setBusy(true);
    try {
      await api('POST', `/v1/dlq/messages/${m.id}/${what}`, body);
      toast(what === 'replay' ? `Replayed to ${m.topic} for ${m.group ?? 'its group'}.` : 'Discarded.');
      props.onChanged();
    } catch (e) {
      toastError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr data-testid="dlq-row">
      <td class="small">{time(m.failedAt ?? m.recordedAt)}</td>
      <td class="small">
        <code>{m.topic.replace(/^hookstream\./, '')}</code>
      </td>
      <td class="small">{m.group ?? '—'}</td>
      <td>{m.attempts ?? '—'}</td>
      <td class="small error-cell">{m.error ?? '—'}</td>
      <td>
        <Badge kind={STATE_KIND[m.state]} title={m.handledAt ? `${time(m.handledAt)} by ${m.handledBy ?? '?'}${m.reason ? `: ${m.reason}` : ''}` : undefined}>
          {m.state}
        </Badge>
        {m.reason && <div class="small muted">{m.reason}</div>}
      </td>
      <td>
        {m.state === 'pending' && (
          <>
            <button type="button" class="btn btn-small" disabled={busy || m.group === null} onClick={() => void act('replay')} title="Send it back to its topic for the group that failed">
              Replay
            </button>{' '}
            <button type="button" class="btn btn-small btn-ghost" disabled={busy} onClick={() => void act('discard')}>
              Discard
            </button>
          </>
        )}
      </td>
    </tr>
  );
}
