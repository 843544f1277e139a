import { parse } from 'qs';
import { formPayload, FormPayloadInput, jsonPayload } from './form-payload';

const INPUT: FormPayloadInput = {
  type: 'subscribe',
  dateTime: '2026-02-28T09:30:00-05:00',
  initiatedFrom: 'public',
  initiatedBy: 'admin',
  list: 3,
  contact: {
    id: 42,
    email: 'sarah+shop@example.com',
    firstName: 'Sarah Jane',
    lastName: "O'Brien",
    tags: ['vip', 'newsletter'],
    fields: { COMPANY: 'Acme & Co', CITY: 'São Paulo' },
  },
};

describe('formPayload', () => {
  it("writes ActiveCampaign's parameters with readable bracket keys and encoded values", () => {
    expect(formPayload(INPUT)).toBe(
      [
        'type=subscribe',
        'date_time=2026-02-28T09%3A30%3A00-05%3A00',
        'initiated_from=public',
        'initiated_by=admin',
        'list=3',
        'contact[id]=42',
        'contact[email]=sarah%2Bshop%40example.com',
        'contact[first_name]=Sarah+Jane',
        "contact[last_name]=O%27Brien",
        'contact[tags]=vip%2Cnewsletter',
        'contact[fields][COMPANY]=Acme+%26+Co',
        'contact[fields][CITY]=S%C3%A3o+Paulo',
      ].join('&'),
    );
  });

  it('parses back (as a PHP or qs receiver would) to the nested shape', () => {
    expect(parse(formPayload(INPUT))).toEqual({
      type: 'subscribe',
      date_time: '2026-02-28T09:30:00-05:00',
      initiated_from: 'public',
      initiated_by: 'admin',
      list: '3',
      contact: {
        id: '42',
        email: 'sarah+shop@example.com',
        first_name: 'Sarah Jane',
        last_name: "O'Brien",
        tags: 'vip,newsletter',
        fields: { COMPANY: 'Acme & Co', CITY: 'São Paulo' },
      },
    });
  });

  it('writes a Date in UTC with an explicit +00:00 offset', () => {
    const body = parse(formPayload({ ...INPUT, dateTime: new Date('2026-02-28T14:30:00.123Z') }));
    expect(body['date_time']).toBe('2026-02-28T14:30:00+00:00');
  });

  it('sends empty names and tags as empty values, and optional phone/orgname only when present', () => {
    const minimal = { ...INPUT, contact: { id: 'c1', email: 'a@b.c', firstName: null, tags: [], fields: {} } };
    const text = formPayload(minimal);
    expect(text).toContain('contact[first_name]=&contact[last_name]=&contact[tags]=');
    expect(text).not.toContain('phone');
    const withPhone = parse(formPayload({ ...INPUT, contact: { ...INPUT.contact, phone: '+44 20', orgname: 'Acme' } }));
    expect(withPhone['contact']).toMatchObject({ phone: '+44 20', orgname: 'Acme' });
  });

  it('adds extra parameters, nested and arrays with brackets, without overriding the core ones', () => {
    const text = formPayload({
      ...INPUT,
      extra: { deal: { id: 7, value: '49.00' }, items: ['a', 'b'], type: 'hijack', contact: 'x' },
    });
    expect(text).toContain('deal[id]=7&deal[value]=49.00');
    expect(text).toContain('items[]=a&items[]=b');
    const body = parse(text);
    expect(body['type']).toBe('subscribe');
    expect(body['contact']).toMatchObject({ email: 'sarah+shop@example.com' });
  });

  it('escapes odd characters in field keys so they cannot inject parameters or nesting', () => {
    const text = formPayload({ ...INPUT, contact: { ...INPUT.contact, fields: { 'a&admin=1': 'v', 'x][y': 'w' } } });
    const fields = (parse(text)['contact'] as Record<string, unknown>)['fields'];
    expect(fields).toEqual({ 'a&admin=1': 'v', 'x__y': 'w' });
    expect(parse(text)['admin']).toBeUndefined();
  });
});

describe('jsonPayload', () => {
  it('is the Standard Webhooks body with type, timestamp and data in that order', () => {
    const text = jsonPayload('contact.updated', new Date('2026-02-28T14:30:00Z'), { id: 'ct_1', tags: ['vip'] });
    expect(text).toBe('{"type":"contact.updated","timestamp":"2026-02-28T14:30:00.000Z","data":{"id":"ct_1","tags":["vip"]}}');
  });

  it('passes an ISO timestamp string through unchanged', () => {
    expect(JSON.parse(jsonPayload('purchase', '2026-02-28T14:30:00Z', {}))).toEqual({
      type: 'purchase',
      timestamp: '2026-02-28T14:30:00Z',
      data: {},
    });
  });
});
