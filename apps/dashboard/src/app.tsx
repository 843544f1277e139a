import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, session, setUnauthorizedHandler } from './api';
import { LiveFeed, type LiveState } from './live';
import { AutomationsPage } from './pages/automations';
import { ChartsPage } from './pages/charts';
import { DeadLettersPage } from './pages/dead-letters';
import { EndpointDetailPage } from './pages/endpoint-detail';
import { EndpointsPage } from './pages/endpoints';
import { EventDetailPage } from './pages/event-detail';
import { FeedPage } from './pages/feed';
import { LoginPage } from './pages/login';
import { SourcesPage } from './pages/sources';
import { Link, match, navigate, useLocation } from './router';
import type { Account } from './types';
import { Toasts } from './ui';

const NAV = [
  { href: '/sources', label: 'Sources' },
  { href: '/feed', label: 'Live feed' },
  { href: '/charts', label: 'Charts' },
  { href: '/endpoints', label: 'Endpoints' },
  { href: '/automations', label: 'Automations' },
  { href: '/dead-letters', label: 'Dead letters' },
];

export function App() {
  const [account, setAccount] = useState<Account | null>(null);
  const [checking, setChecking] = useState(session.get() !== null);
  const [expired, setExpired] = useState(false);
  const { path } = useLocation();

  const logout = (why?: 'expired') => {
    session.clear();
    setAccount(null);
    setExpired(why === 'expired');
  };
  const live = useMemo(() => new LiveFeed(() => logout('expired')), []);

  useEffect(() => {
    setUnauthorizedHandler(() => logout('expired'));
    if (!session.get()) return;
    api<Account>('GET', '/v1/account')
      .then(setAccount, () => session.clear())
      .finally(() => setChecking(false));
  }, []);

  useEffect(() => {
    if (!account) return;
    live.start();
    return () => live.stop();
  }, [account, live]);

  if (checking) return <div class="muted pad">Loading…</div>;
  if (!account) {
    return (
      <>
        <LoginPage
          expired={expired}
          onLogin={(key, acc) => {
            session.set(key);
            setExpired(false);
            setAccount(acc);
            if (path === '/' || path === '/login') navigate('/sources', true);
          }}
        />
        <Footer />
        <Toasts />
      </>
    );
  }

  return (
    <div class="shell">
      <header class="topbar">
        <Link href="/sources" class="brand">
          <span class="logo">⚡</span> Hookstream
        </Link>
        <nav>
          {NAV.map((n) => (
            <Link key={n.href} href={n.href} class={path.startsWith(n.href) || (n.href === '/feed' && path.startsWith('/events')) ? 'active' : ''}>
              {n.label}
            </Link>
          ))}
        </nav>
        <div class="topbar-right">
          <LiveDot live={live} />
          <span class="account" title={account.id}>
            {account.name}
          </span>
          <button type="button" class="btn btn-small btn-ghost" onClick={() => logout()}>
            Log out
          </button>
        </div>
      </header>
      <main class="content">
        <Route path={path} live={live} />
      </main>
      <Footer />
      <Toasts />
    </div>
  );
}

function Route(props: { path: string; live: LiveFeed }) {
  const { path, live } = props;
  let m: Record<string, string> | null;
  if (path === '/' || path === '/login' || match('/sources', path)) return <SourcesPage />;
  if (match('/feed', path)) return <FeedPage live={live} />;
  if (match('/charts', path)) return <ChartsPage />;
  if ((m = match('/events/:id', path))) return <EventDetailPage id={m['id'] ?? ''} live={live} />;
  if (match('/endpoints', path)) return <EndpointsPage />;
  if ((m = match('/endpoints/:id', path))) return <EndpointDetailPage id={m['id'] ?? ''} />;
  if (match('/automations', path)) return <AutomationsPage />;
  if (match('/dead-letters', path)) return <DeadLettersPage />;
  return (
    <div class="card">
      <h2>Page not found</h2>
      <p>
        Nothing lives at <code>{path}</code>. <Link href="/sources">Go to sources</Link>.
      </p>
    </div>
  );
}

function LiveDot(props: { live: LiveFeed }) {
  const [state, setState] = useState<LiveState>(props.live.state);
  useEffect(() => props.live.onState(setState), [props.live]);
  const label = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Offline — retrying';
  return (
    <span class={`live-dot live-${state}`} data-testid="live-state" title="Live event stream">
      <i /> {label}
    </span>
  );
}

function Footer() {
  return (
    <footer class="footer">
      <span>Hookstream</span>
      <a href="/docs" target="_blank" rel="noreferrer">
        API reference
      </a>
      <a href="/asyncapi" target="_blank" rel="noreferrer">
        Kafka topics (AsyncAPI)
      </a>
      <a href="https://db-ip.com" target="_blank" rel="noreferrer">
        IP Geolocation by DB-IP
      </a>
    </footer>
  );
}
