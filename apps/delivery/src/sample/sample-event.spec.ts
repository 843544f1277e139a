import { webhookExampleData } from '@hookstream/contracts';
import { sampleContent } from './sample-event';

describe('sampleContent', () => {
  it('is the published example of the type, with fresh ids, the account and a sample marker', () => {
    const now = new Date('2026-03-01T10:00:00Z');
    const c = sampleContent('contact.tag_added', 'acc_1', now);
    const { id, sample, ...rest } = c.data;
    const { id: _exampleId, ...example } = webhookExampleData('contact.tag_added', { accountId: 'acc_1', eventId: 'evt_x', now });
    expect(rest).toEqual(example);
    expect(sample).toBe(true);
    expect(String(id)).toMatch(/^evt_/);
    expect(c.webhookId).toMatch(/^msg_/);
    expect(c.eventType).toBe('contact.tag_added');
    expect(c.eventTime).toBe('2026-03-01T10:00:00.000Z');
  });
});
