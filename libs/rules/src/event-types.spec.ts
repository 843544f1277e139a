import { candidatePrefixes, EventTypeIndex, matchesEventType, validateEventTypePattern } from './event-types';

describe('matchesEventType', () => {
  it('matches exact types', () => {
    expect(matchesEventType(['purchase'], 'purchase')).toBe(true);
    expect(matchesEventType(['purchase'], 'purchases')).toBe(false);
  });
  it('* matches everything', () => {
    expect(matchesEventType(['*'], 'contact.tag_added')).toBe(true);
    expect(matchesEventType(['*'], 'signup')).toBe(true);
  });
  it('contact.* matches types under contact. only', () => {
    expect(matchesEventType(['contact.*'], 'contact.tag_added')).toBe(true);
    expect(matchesEventType(['contact.*'], 'contact.a.b')).toBe(true);
    expect(matchesEventType(['contact.*'], 'contact')).toBe(false);
    expect(matchesEventType(['contact.*'], 'contactx')).toBe(false);
    expect(matchesEventType(['contact.*'], 'contactx.tag_added')).toBe(false);
    expect(matchesEventType(['contact.*'], 'contact.')).toBe(false);
  });
  it('no patterns match nothing', () => {
    expect(matchesEventType([], 'purchase')).toBe(false);
  });
  it('a star anywhere else is literal', () => {
    expect(matchesEventType(['contact*'], 'contact.tag_added')).toBe(false);
    expect(matchesEventType(['*.added'], 'deal.added')).toBe(false);
  });
});

describe('validateEventTypePattern', () => {
  it.each(['*', 'purchase', 'contact.*', 'deal.task.*'])('accepts %s', (p) => expect(validateEventTypePattern(p)).toBeUndefined());
  it.each(['', 'contact*', '*.added', 'a.*.b', '.*', 'a*.*', '**'])('rejects %j', (p) => expect(validateEventTypePattern(p)).toBeDefined());
});

describe('candidatePrefixes', () => {
  it('lists the empty prefix and one per dot', () => {
    expect(candidatePrefixes('a.b.c')).toEqual(['', 'a.', 'a.b.']);
    expect(candidatePrefixes('purchase')).toEqual(['']);
    expect(candidatePrefixes('a.')).toEqual(['']);
  });
});

describe('EventTypeIndex', () => {
  it('finds items by exact type and by wildcard prefix, each once', () => {
    const idx = new EventTypeIndex<string>();
    idx.add('all', ['*']);
    idx.add('contacts', ['contact.*', 'contact.tag_added']);
    idx.add('tags', ['contact.tag_added', 'contact.tag_removed']);
    idx.add('buys', ['purchase']);
    expect(idx.match('contact.tag_added').sort()).toEqual(['all', 'contacts', 'tags']);
    expect(idx.match('contact.updated').sort()).toEqual(['all', 'contacts']);
    expect(idx.match('purchase').sort()).toEqual(['all', 'buys']);
    expect(idx.match('contact').sort()).toEqual(['all']);
  });

  it('agrees with matchesEventType on every combination', () => {
    const patterns = [['*'], ['contact.*'], ['contact.tag_added'], ['deal.*', 'purchase'], ['a.b.*'], ['contact*']];
    const types = ['contact', 'contact.tag_added', 'contactx', 'deal.added', 'purchase', 'a.b', 'a.b.c', 'a.b.c.d'];
    const idx = new EventTypeIndex<number>();
    patterns.forEach((p, i) => idx.add(i, p));
    for (const t of types) {
      const expected = patterns.flatMap((p, i) => (matchesEventType(p, t) ? [i] : []));
      expect([t, idx.match(t).sort()]).toEqual([t, expected]);
    }
  });

  it('re-adding replaces patterns; removing forgets the item', () => {
    const idx = new EventTypeIndex<string>();
    idx.add('x', ['purchase']);
    idx.add('x', ['signup']);
    expect(idx.match('purchase')).toEqual([]);
    expect(idx.match('signup')).toEqual(['x']);
    expect(idx.remove('x')).toBe(true);
    expect(idx.remove('x')).toBe(false);
    expect(idx.match('signup')).toEqual([]);
    expect(idx.size).toBe(0);
  });
});
