import { applyAction, applyEvent, contactEventFromChange, contactIdFor, normalizeEmail, type Contact } from './contacts';
import { ACCOUNT, makeEvent } from './rules.fixture';

const base = (): Contact => ({
  id: contactIdFor(ACCOUNT, 'sarah@example.com'), accountId: ACCOUNT, emailNorm: 'sarah@example.com',
  firstName: 'Sarah', lastName: null, tags: ['vip'], lists: ['1'], fields: { plan: 'pro' }, createdFromEventId: 'evt_first',
});

describe('normalizeEmail', () => {
  it('trims and lower-cases; rejects non-addresses', () => {
    expect(normalizeEmail('  Sarah@Example.COM ')).toBe('sarah@example.com');
    expect(normalizeEmail('nope')).toBeUndefined();
    expect(normalizeEmail('@x')).toBeUndefined();
    expect(normalizeEmail(null)).toBeUndefined();
  });
});

describe('applyEvent', () => {
  it('creates a contact on first sight: subscribed, plus tags and lists it arrives with', () => {
    const { contact, changes } = applyEvent(undefined, makeEvent({ id: 'evt_a', attributes: { tags: 'a, b', listId: '4', fields: { plan: 'free', seats: 3 } } }));
    expect(contact).toEqual({
      id: contactIdFor(ACCOUNT, 'sarah@example.com'), accountId: ACCOUNT, emailNorm: 'sarah@example.com',
      firstName: 'Sarah', lastName: null, tags: ['a', 'b'], lists: ['4'], fields: { plan: 'free', seats: '3' }, createdFromEventId: 'evt_a',
    });
    expect(changes).toEqual([
      { kind: 'subscribed' },
      { kind: 'tag_added', tag: 'a' },
      { kind: 'tag_added', tag: 'b' },
      { kind: 'list_added', listId: '4' },
    ]);
    expect(contact!.id).toMatch(/^ct_[0-9a-f]+$/);
  });

  it('makes no contact from an event without a usable email', () => {
    expect(applyEvent(undefined, makeEvent({ person: { ...makeEvent().person, email: null } }))).toEqual({ contact: undefined, changes: [] });
  });

  it('reports updated with what changed, and does not mutate its input', () => {
    const before = base();
    const snapshot = JSON.parse(JSON.stringify(before));
    const { contact, changes } = applyEvent(before, makeEvent({
      person: { ...makeEvent().person, firstName: 'Sara', lastName: 'Lee' },
      attributes: { fields: { plan: 'team', region: 'eu' } },
    }));
    expect(changes).toEqual([{ kind: 'updated', changed: ['firstName', 'lastName', 'fields.plan', 'fields.region'] }]);
    expect(contact).toMatchObject({ firstName: 'Sara', lastName: 'Lee', fields: { plan: 'team', region: 'eu' } });
    expect(before).toEqual(snapshot);
  });

  it('returns the same object when nothing changes', () => {
    const before = base();
    const res = applyEvent(before, makeEvent({ attributes: { tags: ['vip'], listId: '1', fields: { plan: 'pro' } } }));
    expect(res.changes).toEqual([]);
    expect(res.contact).toBe(before);
  });

  it('a guessed name fills an empty one but never replaces a known one', () => {
    const guessed = { ...makeEvent().person, firstName: 'Guess', lastName: 'Work', nameSource: 'email' as const };
    const { contact, changes } = applyEvent(base(), makeEvent({ person: guessed }));
    expect(contact).toMatchObject({ firstName: 'Sarah', lastName: 'Work' });
    expect(changes).toEqual([{ kind: 'updated', changed: ['lastName'] }]);
  });

  it('tag events add and remove attributes.tag', () => {
    const added = applyEvent(base(), makeEvent({ type: 'contact.tag_added', dialect: 'activecampaign', attributes: { tag: 'new' } }));
    expect(added.changes).toEqual([{ kind: 'tag_added', tag: 'new' }]);
    const removed = applyEvent(added.contact, makeEvent({ type: 'contact.tag_removed', attributes: { tag: 'vip', tags: 'vip, new' } }));
    expect(removed.changes).toEqual([{ kind: 'tag_removed', tag: 'vip' }]);
    expect(removed.contact!.tags).toEqual(['new']);
  });

  it('attributes.tags only ever adds (tags set by rules survive an update listing fewer)', () => {
    const { contact, changes } = applyEvent(base(), makeEvent({ type: 'contact.updated', attributes: { tags: 'other' } }));
    expect(contact!.tags).toEqual(['vip', 'other']);
    expect(changes).toEqual([{ kind: 'tag_added', tag: 'other' }]);
  });

  it('unsubscribed and list_removed take the contact off the lists', () => {
    expect(applyEvent(base(), makeEvent({ type: 'contact.unsubscribed', attributes: { listId: '1' } })).changes).toEqual([{ kind: 'list_removed', listId: '1' }]);
    expect(applyEvent(base(), makeEvent({ type: 'contact.list_removed', attributes: { lists: ['1', '2'] } })).contact!.lists).toEqual([]);
    expect(applyEvent(base(), makeEvent({ type: 'contact.list_added', attributes: { listId: '2' } })).contact!.lists).toEqual(['1', '2']);
  });
});

describe('applyAction', () => {
  it.each([
    [{ type: 'add_tag', tag: 'x' } as const, { tags: ['vip', 'x'] }, { kind: 'tag_added', tag: 'x' }],
    [{ type: 'remove_tag', tag: 'vip' } as const, { tags: [] }, { kind: 'tag_removed', tag: 'vip' }],
    [{ type: 'add_to_list', listId: '9' } as const, { lists: ['1', '9'] }, { kind: 'list_added', listId: '9' }],
    [{ type: 'remove_from_list', listId: '1' } as const, { lists: [] }, { kind: 'list_removed', listId: '1' }],
  ])('%j', (action, expected, change) => {
    const before = base();
    const res = applyAction(before, action);
    expect(res.contact).toMatchObject(expected);
    expect(res.changes).toEqual([change]);
    expect(before).toEqual(base());
  });

  it.each([
    { type: 'add_tag', tag: 'vip' } as const,
    { type: 'remove_tag', tag: 'absent' } as const,
    { type: 'add_to_list', listId: '1' } as const,
    { type: 'remove_from_list', listId: '9' } as const,
    { type: 'webhook', endpointId: 'ep_1' } as const,
  ])('is idempotent: %j changes nothing', (action) => {
    const before = base();
    expect(applyAction(before, action)).toEqual({ contact: before, changes: [] });
  });
});

describe('applyEvent on contact events the pipeline caused', () => {
  it('does not re-apply a stale snapshot: a tag removed since stays removed, no change is announced', () => {
    // The contact had [vip, lead]; a rule then removed lead. An older contact event, emitted
    // while lead was still there, comes back carrying tags [vip, lead] and the old name.
    const now = { ...base(), tags: ['vip'], firstName: 'Sarah' };
    const stale = makeEvent({
      type: 'contact.tag_added', causedBy: 'evt_cause', causationDepth: 1,
      person: { email: now.emailNorm, firstName: 'Old', lastName: null, ip: null, nameSource: null },
      attributes: { tag: 'vip', tags: ['vip', 'lead'], lists: ['1', '7'] },
    });
    expect(applyEvent(now, stale)).toEqual({ contact: now, changes: [] });
  });

  it('still creates the contact from one when none is stored', () => {
    const e = makeEvent({ type: 'contact.subscribed', causedBy: 'evt_cause', causationDepth: 1, attributes: { tags: ['vip'] } });
    const r = applyEvent(undefined, e);
    expect(r.contact).toMatchObject({ emailNorm: 'sarah@example.com', tags: ['vip'] });
    expect(r.changes.map((c) => c.kind)).toEqual(['subscribed', 'tag_added']);
  });

  it('external contact events (no causedBy) still change the contact', () => {
    const r = applyEvent(base(), makeEvent({ type: 'contact.tag_added', attributes: { tag: 'new' } }));
    expect(r.changes).toEqual([{ kind: 'tag_added', tag: 'new' }]);
  });
});

describe('contactEventFromChange', () => {
  const cause = makeEvent({ id: 'evt_cause', initiatedFrom: 'public', causationDepth: 2 });

  it('builds a contact event caused by a rule: system, depth + 1, causedByRule', () => {
    const e = contactEventFromChange({ kind: 'tag_added', tag: 'x' }, base(), { event: cause, ruleId: 'aut_1' });
    expect(e).toMatchObject({
      type: 'contact.tag_added', accountId: ACCOUNT, sourceId: cause.sourceId, initiatedFrom: 'system',
      causedBy: 'evt_cause', causationDepth: 3, causedByRule: 'aut_1',
      occurredAt: cause.occurredAt, person: { email: 'sarah@example.com', firstName: 'Sarah' },
      attributes: { tag: 'x', contactId: base().id, tags: ['vip'], lists: ['1'] },
    });
    expect(e.id).toMatch(/^evt_[0-9a-z]+$/);
  });

  it('keeps the cause initiatedFrom when the event itself caused the change', () => {
    const e = contactEventFromChange({ kind: 'list_added', listId: '1' }, base(), { event: makeEvent({ initiatedFrom: 'admin' }) });
    expect(e).toMatchObject({ initiatedFrom: 'admin', causationDepth: 1, attributes: { listId: '1' } });
    expect(e.causedByRule).toBeUndefined();
  });

  it('has a deterministic id that differs per change, rule and occurrence', () => {
    const mk = (over: Partial<Parameters<typeof contactEventFromChange>[2]> = {}, tag = 'x'): string =>
      contactEventFromChange({ kind: 'tag_added', tag }, base(), { event: cause, ruleId: 'aut_1', ...over }).id;
    expect(mk()).toBe(mk());
    const distinct = new Set([mk(), mk({}, 'y'), mk({ ruleId: 'aut_2' }), mk({ occurrence: 1 }), mk({ event: { ...cause, id: 'evt_other' } })]);
    expect(distinct.size).toBe(5);
  });
});
