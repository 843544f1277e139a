import { findEmail, isEmail, maskEmail, maskEmailsIn, normaliseEmail } from './email-search';

describe('isEmail', () => {
  it('accepts ordinary addresses', () => {
    for (const ok of ['test@gmail.com', 'first.last+tag@sub.example.co.uk', "o'brien@example.ie", 'user@bücher.de', ' padded@example.com ']) {
      expect(isEmail(ok)).toBe(true);
    }
  });
  it('refuses non-addresses', () => {
    for (const bad of ['', 'plain', '@example.com', 'a@', 'a@localhost', 'a@example', 'a b@example.com', 'a..b@example.com', '.a@example.com', 'a@-x.com', `${'a'.repeat(65)}@example.com`, 42, null]) {
      expect(isEmail(bad)).toBe(false);
    }
  });
});

describe('normaliseEmail / maskEmail', () => {
  it('trims and lowercases', () => {
    expect(normaliseEmail('  Sarah.Smith@Example.COM ')).toBe('sarah.smith@example.com');
  });
  it('masks all but the first letter of the local part', () => {
    expect(maskEmail('sarah@example.com')).toBe('s***@example.com');
    expect(maskEmail('@example.com')).toBe('***@example.com');
    expect(maskEmail('nope')).toBe('***');
    expect(maskEmailsIn('contact sarah@example.com or bob@x.io')).toBe('contact s***@example.com or b***@x.io');
  });
});

describe('findEmail', () => {
  it('returns the top-level email', () => {
    expect(findEmail({ email: 'Test@Gmail.com', name: 'x' })).toEqual({ email: 'test@gmail.com', path: 'email' });
  });

  it('prefers an email-named key over an earlier, shallower plain string', () => {
    expect(findEmail({ note: 'other@example.com', customer: { billing: { Email: 'me@example.com' } } })).toEqual({
      email: 'me@example.com',
      path: 'customer.billing.Email',
    });
  });

  it('prefers the shallowest among email-named keys, then document order', () => {
    expect(findEmail({ a: { b: { email: 'deep@example.com' } }, c: { mail: 'shallow@example.com' } })).toEqual({
      email: 'shallow@example.com',
      path: 'c.mail',
    });
    expect(findEmail({ a: { email: 'one@example.com' }, b: { 'e-mail': 'two@example.com' } })?.email).toBe('one@example.com');
  });

  it('falls back to any string that is an email, reporting array paths', () => {
    expect(findEmail({ contacts: [{ value: 'nope' }, { value: 'x@example.com' }] })).toEqual({ email: 'x@example.com', path: 'contacts[1].value' });
  });

  it('skips an email-named key holding something else', () => {
    expect(findEmail({ email: 'unknown', extra: 'real@example.com' })).toEqual({ email: 'real@example.com', path: 'extra' });
  });

  it('returns null when there is none, or it is beyond the bounds', () => {
    expect(findEmail({ a: 1, b: [true, null] })).toBeNull();
    expect(findEmail('x')).toBeNull();
    let deep: Record<string, unknown> = { email: 'deep@example.com' };
    for (let i = 0; i < 12; i++) deep = { next: deep };
    expect(findEmail(deep)).toBeNull();
    expect(findEmail(deep, { maxDepth: 20 })?.email).toBe('deep@example.com');
    const wide: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) wide[`k${i}`] = 'x';
    wide['email'] = 'late@example.com';
    expect(findEmail(wide, { maxNodes: 50 })).toBeNull();
    expect(findEmail(wide)?.email).toBe('late@example.com');
  });
});
