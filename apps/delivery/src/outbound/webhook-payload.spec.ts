import { parse } from 'qs';
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret } from '@hookstream/webhooks';
import { buildWebhook, formInputFor, type WebhookContent } from './webhook-payload';

const canonical: WebhookContent = {
  webhookId: 'msg_abc123',
  eventType: 'contact.tag_added',
  eventTime: '2026-02-28T14:30:00.000Z',
  data: {
    id: 'evt_1',
    type: 'contact.tag_added',
    occurredAt: '2026-02-28T14:30:00Z',
    initiatedFrom: 'admin',
    person: { email: 'sarah@example.com', firstName: 'Sarah', lastName: null },
    attributes: { contactId: 42, tags: ['vip', 'newsletter'], list: '3', fields: { plan: 'gold', score: 7 } },
  },
};

describe('buildWebhook', () => {
  it('json: {"type","timestamp","data"} with Standard Webhooks headers that the official package verifies', () => {
    const secret = newWebhookSecret();
    const now = new Date();
    const w = buildWebhook(canonical, 'json', [secret], now);
    expect(JSON.parse(w.body)).toEqual({ type: 'contact.tag_added', timestamp: '2026-02-28T14:30:00.000Z', data: canonical.data });
    expect(w.headers['content-type']).toBe('application/json');
    expect(w.headers['webhook-id']).toBe('msg_abc123');
    expect(w.headers['webhook-timestamp']).toBe(String(Math.floor(now.getTime() / 1000)));
    expect(() => new Webhook(secret).verify(w.body, w.headers)).not.toThrow();
  });

  it('signs with every live secret so either one verifies during a rotation', () => {
    const [oldSecret, newSecret, other] = [newWebhookSecret(), newWebhookSecret(), newWebhookSecret()];
    const w = buildWebhook(canonical, 'json', [newSecret, oldSecret], new Date());
    expect(w.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(w.body, w.headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(w.body, w.headers)).not.toThrow();
    expect(() => new Webhook(other).verify(w.body, w.headers)).toThrow();
  });

  it('keeps the webhook-id across attempts while the timestamp and signature follow the attempt time', () => {
    const secret = newWebhookSecret();
    const a = buildWebhook(canonical, 'json', [secret], new Date('2026-03-01T10:00:00Z'));
    const b = buildWebhook(canonical, 'json', [secret], new Date('2026-03-01T10:00:05Z'));
    expect(a.headers['webhook-id']).toBe(b.headers['webhook-id']);
    expect(a.headers['webhook-timestamp']).not.toBe(b.headers['webhook-timestamp']);
    expect(a.headers['webhook-signature']).not.toBe(b.headers['webhook-signature']);
  });

  it('form: ActiveCampaign parameters, signed over the form body', () => {
    const secret = newWebhookSecret();
    const w = buildWebhook(canonical, 'form', [secret], new Date());
    expect(w.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(parse(w.body)).toEqual({
      type: 'contact_tag_added',
      date_time: '2026-02-28T14:30:00Z',
      initiated_from: 'admin',
      initiated_by: 'admin',
      list: '3',
      contact: { id: '42', email: 'sarah@example.com', first_name: 'Sarah', last_name: '', tags: 'vip,newsletter', fields: { plan: 'gold', score: '7' } },
    });
    expect(w.body).toContain('contact[email]=sarah%40example.com');
    expect(() => new Webhook(secret).verify(w.body, w.headers, { jsonParse: false })).not.toThrow();
  });
});

describe('formInputFor', () => {
  it('uses scalar attributes as custom fields when there is no fields object, and falls back sensibly', () => {
    const input = formInputFor({
      webhookId: 'msg_x',
      eventType: 'purchase',
      eventTime: '2026-02-28T14:30:00Z',
      data: { person: { email: 'a@b.c', firstName: 'Al' }, attributes: { coupon: 'SPRING', total: 49, tags: 'a, b', nested: { x: 1 } } },
    });
    expect(input).toMatchObject({
      type: 'purchase',
      dateTime: '2026-02-28T14:30:00Z',
      initiatedFrom: 'system',
      initiatedBy: 'system',
      list: '0',
      contact: { id: '', email: 'a@b.c', firstName: 'Al', lastName: null, tags: ['a', 'b'], fields: { coupon: 'SPRING', total: '49' } },
    });
  });

  it('reads an ActiveCampaign-shaped contact', () => {
    const input = formInputFor({
      webhookId: 'msg_x',
      eventType: 'contact.subscribed',
      eventTime: '2026-02-28T14:30:00Z',
      data: { initiated_from: 'public', contact: { id: '7', email: 'c@d.e', first_name: 'Cy', tags: 'x', fields: { perstag: 'v' } } },
    });
    expect(input.type).toBe('subscribe');
    expect(input.initiatedFrom).toBe('public');
    expect(input.contact).toMatchObject({ id: '7', email: 'c@d.e', firstName: 'Cy', tags: ['x'], fields: { perstag: 'v' } });
  });
});
