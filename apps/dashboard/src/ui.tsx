import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './api';

// ---- toasts ---------------------------------------------------------------------------------

type ToastKind = 'ok' | 'error' | 'info';
interface Toast {
  id: number;
  kind: ToastKind;
  text: ComponentChildren;
}
let toasts: Toast[] = [];
let nextToast = 1;
const toastListeners = new Set<(t: Toast[]) => void>();

export function toast(text: ComponentChildren, kind: ToastKind = 'ok', ms = 5000): void {
  const t = { id: nextToast++, kind, text };
  toasts = [...toasts, t];
  toastListeners.forEach((fn) => fn(toasts));
  setTimeout(() => {
    toasts = toasts.filter((x) => x.id !== t.id);
    toastListeners.forEach((fn) => fn(toasts));
  }, ms);
}

export function toastError(e: unknown): void {
  toast(errorText(e), 'error', 8000);
}

export function Toasts() {
  const [list, setList] = useState<Toast[]>(toasts);
  useEffect(() => {
    toastListeners.add(setList);
    return () => toastListeners.delete(setList);
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`}>
          {t.text}
        </div>
      ))}
    </div>
  );
}

// ---- data loading ---------------------------------------------------------------------------

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
  set: (fn: (d: T | undefined) => T | undefined) => void;
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  // The caller lists what `load` depends on, as with useEffect.
  const run = useCallback(load, deps);
  // Only the newest request may land: a slow answer to an earlier one (say, the unfiltered list
  // when a filter was just chosen) must not overwrite the answer to the current one.
  const generation = useRef(0);
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await run();
      if (mine === generation.current) setState({ data, error: undefined, loading: false });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ ...s, error, loading: false }));
    }
  }, [run]);
  useEffect(() => {
    void reload();
  }, [reload]);
  const set = useCallback((fn: (d: T | undefined) => T | undefined) => setState((s) => ({ ...s, data: fn(s.data) })), []);
  return { ...state, reload, set };
}

export function LoadState<T>(props: { l: Loaded<T>; children: (data: T) => ComponentChildren }) {
  const { l } = props;
  if (l.data === undefined && l.error) return <div class="alert alert-error">{errorText(l.error)}</div>;
  if (l.data === undefined) return <div class="muted pad">Loading…</div>;
  return <>{props.children(l.data)}</>;
}

// ---- small pieces ---------------------------------------------------------------------------

export function Badge(props: { kind: string; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge badge-${props.kind}`} title={props.title}>
      {props.children}
    </span>
  );
}

const STATUS_KIND: Record<string, string> = {
  accepted: 'ok', succeeded: 'ok', delivered: 'ok', success: 'ok', enabled: 'ok',
  rejected: 'bad', failed: 'bad', dead: 'bad', error: 'bad', disabled: 'muted',
  duplicate: 'warn', retrying: 'warn', pending: 'info', received: 'info', scheduled: 'info', filtered: 'muted',
};

export function StatusBadge(props: { status: string }) {
  return <Badge kind={STATUS_KIND[props.status] ?? 'muted'}>{props.status}</Badge>;
}

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && isSecureContext) return navigator.clipboard.writeText(text);
  // Plain-http hosts other than localhost have no Clipboard API.
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  document.execCommand('copy');
  ta.remove();
}

export function CopyButton(props: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      class="btn btn-small"
      onClick={() =>
        copyText(props.text).then(
          () => {
            setDone(true);
            setTimeout(() => setDone(false), 1500);
          },
          () => toast('Copy failed: select the text and copy it by hand', 'error'),
        )
      }
    >
      {done ? 'Copied ✓' : (props.label ?? 'Copy')}
    </button>
  );
}

export function CopyField(props: { label: string; value: string; testId?: string }) {
  return (
    <div class="copy-field">
      <span class="copy-label">{props.label}</span>
      <code class="copy-value" data-testid={props.testId}>
        {props.value}
      </code>
      <CopyButton text={props.value} />
    </div>
  );
}

export function CodeBlock(props: { code: string; copy?: boolean }) {
  return (
    <div class="code-block">
      {props.copy !== false && (
        <div class="code-copy">
          <CopyButton text={props.code} />
        </div>
      )}
      <pre>{props.code}</pre>
    </div>
  );
}

export function Json(props: { value: unknown }) {
  return <CodeBlock code={JSON.stringify(props.value, null, 2)} />;
}

/** A credential the API shows exactly once: make that impossible to miss. */
export function ShownOnce(props: { title: string; children: ComponentChildren; onClose: () => void }) {
  return (
    <section class="card once" data-testid="shown-once">
      <div class="once-head">
        <h3>{props.title}</h3>
        <button type="button" class="btn btn-small" onClick={props.onClose}>
          I saved it — close
        </button>
      </div>
      <p class="once-warn">This is shown only once. Copy it now; Hookstream stores only a hash.</p>
      {props.children}
    </section>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <div class="empty">{props.children}</div>;
}

export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function ago(iso: string | null | undefined): string {
  if (!iso) return '—';
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return new Date(iso).toLocaleDateString();
}

export function shortId(id: string): string {
  return id.length > 14 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}
