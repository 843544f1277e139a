/**
 * Email handling: recognise, normalise, mask, and find an address anywhere in a payload
 * (ProveSource's "automatic email search"; the generic dialect uses it too).
 */

// Pragmatic, not RFC 5322: dot-atom local part, dotted domain with a 2+ letter TLD (IDN letters allowed).
// Quoted local parts and IP-literal domains are legal but never seen in webhook payloads.
const LOCAL = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*";
const LABEL = '[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?';
const TLD = '(?:\\p{L}{2,63}|xn--[A-Za-z0-9-]{1,59})';
const EMAIL_RE = new RegExp(`^${LOCAL}@(?:${LABEL}\\.)+${TLD}$`, 'u');
const EMAIL_IN_TEXT_RE = /[^\s@"'<>,;:()[\]{}]+@[^\s@"'<>,;:()[\]{}]+/g;

export function isEmail(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const v = value.trim();
  if (v.length > 254) return false;
  const at = v.lastIndexOf('@');
  if (at < 1 || at > 64) return false;
  return EMAIL_RE.test(v);
}

/** Trim and lowercase. Lowercasing the local part is technically lossy, but no real mailbox provider is case-sensitive and dedupe needs one spelling. */
export function normaliseEmail(value: string): string {
  return value.trim().toLowerCase();
}

/** `sarah@example.com` → `s***@example.com`; for reason summaries and logs, never for storage. */
export function maskEmail(value: string): string {
  const v = value.trim();
  const at = v.lastIndexOf('@');
  if (at < 0) return '***';
  const local = v.slice(0, at);
  return `${local.length > 0 ? local[0] : ''}***${v.slice(at)}`;
}

/** Masks every email-looking token inside a longer text. */
export function maskEmailsIn(text: string): string {
  return text.replace(EMAIL_IN_TEXT_RE, (m) => maskEmail(m));
}

export interface EmailSearchOptions {
  /** Deepest nesting level visited (top-level keys are depth 0). */
  maxDepth?: number;
  /** Most values (objects, arrays and leaves) visited before giving up, so a huge payload costs a bounded amount. */
  maxNodes?: number;
}

export interface EmailMatch {
  /** Normalised address. */
  email: string;
  /** Where it was found, e.g. `customer.email` or `contacts[0].mail`. */
  path: string;
}

const PREFERRED_KEYS = new Set(['email', 'e-mail', 'e_mail', 'mail', 'emailaddress', 'email_address', 'email-address']);

export function isEmailKey(key: string): boolean {
  return PREFERRED_KEYS.has(key.toLowerCase());
}

export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (parent === '') return key;
  return `${parent}.${key}`;
}

interface Candidate {
  email: string;
  path: string;
  depth: number;
  preferred: boolean;
}

/**
 * Finds an email anywhere in `payload`, walking it depth-first within the bounds.
 * Precedence: a value under an email-like key (`email`, `e-mail`, `mail`, `email_address`,
 * case-insensitive) beats any other string that is an email; among equals the shallowest wins,
 * then the first in document order. Returns null when nothing within bounds qualifies.
 */
export function findEmail(payload: unknown, options: EmailSearchOptions = {}): EmailMatch | null {
  const maxDepth = options.maxDepth ?? 8;
  const maxNodes = options.maxNodes ?? 5000;
  let visited = 0;
  // Held in an object: TypeScript does not track a `let` assigned inside a closure.
  const found: { best: Candidate | null } = { best: null };

  const consider = (c: Candidate): void => {
    const best = found.best;
    if (best === null || (c.preferred && !best.preferred) || (c.preferred === best.preferred && c.depth < best.depth)) {
      found.best = c;
    }
  };

  const walk = (value: unknown, path: string, depth: number, key: string | null): void => {
    if (visited >= maxNodes) return;
    visited++;
    if (typeof value === 'string') {
      if (isEmail(value)) consider({ email: normaliseEmail(value), path, depth, preferred: key !== null && isEmailKey(key) });
      return;
    }
    if (depth > maxDepth || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, joinPath(path, i), depth + 1, key));
      return;
    }
    for (const [k, v] of Object.entries(value)) walk(v, joinPath(path, k), depth + 1, k);
  };

  if (payload !== null && typeof payload === 'object') {
    // The root object's own keys are depth 0.
    if (Array.isArray(payload)) payload.forEach((item, i) => walk(item, `[${i}]`, 0, null));
    else for (const [k, v] of Object.entries(payload)) walk(v, k, 0, k);
  } else {
    walk(payload, '', 0, null);
  }
  return found.best === null ? null : { email: found.best.email, path: found.best.path };
}
