import { useState } from 'preact/hooks';
import { api, ApiError, errorText } from '../api';
import type { Account } from '../types';

export function LoginPage(props: { expired: boolean; onLogin: (key: string, account: Account) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(props.expired ? 'Your API key is no longer valid. Log in again.' : null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) return;
    setBusy(true);
    setError(null);
    try {
      props.onLogin(k, await api<Account>('GET', '/v1/account', undefined, k));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'That API key was not accepted (unknown, revoked or mistyped).' : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="login">
      <form class="card login-card" onSubmit={submit}>
        <div class="brand brand-big">
          <span class="logo">⚡</span> Hookstream
        </div>
        <p class="muted">Receive, validate, enrich and deliver webhooks. Log in with an API key of your account.</p>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          placeholder="hsk_…"
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          autofocus
        />
        {error && <div class="alert alert-error">{error}</div>}
        <button type="submit" class="btn btn-primary" disabled={busy || !key.trim()}>
          {busy ? 'Checking…' : 'Log in'}
        </button>
        <p class="hint">
          No key yet? Create an account with <code>npm run hookstream -- create-account --name "My team"</code>. The key stays in this browser tab only.
        </p>
      </form>
    </div>
  );
}
