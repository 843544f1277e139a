import { createHmac } from 'node:crypto';
import { capitaliseName, emailKey, nameFromEmail, normaliseEmail, redactEmails } from './names';

describe('nameFromEmail', () => {
  it.each([
    ['john.smith@example.com', 'John', 'Smith'],
    ['john_smith@example.com', 'John', 'Smith'],
    ['john-smith@example.com', 'John', 'Smith'],
    ['JOHN.SMITH@example.com', 'John', 'Smith'],
    ['john.smith+news42@example.com', 'John', 'Smith'],
    ['john.smith42@example.com', 'John', 'Smith'],
    ['john.r.smith@example.com', 'John', 'Smith'],
    ['anne-marie.smith@example.com', 'Anne-Marie', 'Smith'],
    ['anne-marie_o\'neil@example.com', 'Anne-Marie', "O'Neil"],
    ['josé.garcía@example.es', 'José', 'García'],
    ['sarah.j@example.com', 'Sarah', null],
    ['john@example.com', 'John', null],
    ['john1985@example.com', 'John', null],
  ])('%s → %s %s', (email, firstName, lastName) => {
    expect(nameFromEmail(email)).toEqual({ firstName, lastName });
  });

  it.each([
    'info@example.com', 'sales@example.com', 'support@example.com', 'noreply@example.com', 'no-reply@example.com',
    'no_reply@example.com', 'admin@example.com', 'contact@example.com', 'hello@example.com', 'billing@example.com',
    'office@example.com', 'team@example.com', 'marketing@example.com', 'webmaster@example.com', 'postmaster@example.com',
    'abuse@example.com', 'help@example.com', 'jobs@example.com', 'hr@example.com', 'careers@example.com',
    'newsletter@example.com', 'notifications@example.com', 'mail@example.com', 'enquiries@example.com',
    'accounts@example.com', 'info2@example.com', 'sales.team@example.com', 'customer-service@example.com',
    'test@gmail.com', 'info+shop@example.com',
  ])('role address %s → null', (email) => {
    expect(nameFromEmail(email)).toBeNull();
  });

  it.each([
    ['j.smith@example.com', 'an initial then a surname names no first name'],
    ['12345@example.com', 'digits only'],
    ['x@example.com', 'one letter'],
    ['xkcd@example.com', 'no vowel: a handle'],
    ['not-an-email', 'no @'],
    ['@example.com', 'empty local part'],
  ])('%s → null (%s)', (email) => {
    expect(nameFromEmail(email)).toBeNull();
  });

  it('keeps a person token that sits next to a role word', () => {
    expect(nameFromEmail('john.sales@example.com')).toEqual({ firstName: 'John', lastName: 'Sales' });
  });
});

describe('capitaliseName', () => {
  it.each([
    ['SMITH', 'Smith'],
    ['anne-marie', 'Anne-Marie'],
    ["o'neil", "O'Neil"],
    ['émile', 'Émile'],
  ])('%s → %s', (input, expected) => {
    expect(capitaliseName(input)).toBe(expected);
  });
});

describe('emailKey', () => {
  it('is the HMAC-SHA256 hex of the trimmed, lower-cased email', () => {
    const expected = createHmac('sha256', 's3cret').update('john.smith@example.com').digest('hex');
    expect(emailKey('  John.Smith@Example.COM ', 's3cret')).toBe(expected);
    expect(emailKey('john.smith@example.com', 's3cret')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('depends on the secret and never contains the address', () => {
    const a = emailKey('john@example.com', 'one');
    const b = emailKey('john@example.com', 'two');
    expect(a).not.toBe(b);
    expect(a).not.toContain('john');
  });

  it('refuses an empty secret', () => {
    expect(() => emailKey('john@example.com', '')).toThrow(/secret/);
  });

  it('normalises by trimming and lower-casing only', () => {
    expect(normaliseEmail(' A.B+x@Example.com ')).toBe('a.b+x@example.com');
  });
});

describe('redactEmails', () => {
  it('replaces every address in a text', () => {
    expect(redactEmails('lookup failed for john.smith@example.com (and <jane@x.io>)')).toBe(
      'lookup failed for [email] (and <[email]>)',
    );
  });

  it('leaves text without addresses alone', () => {
    expect(redactEmails('connection refused @ 10:00')).toBe('connection refused @ 10:00');
  });
});
