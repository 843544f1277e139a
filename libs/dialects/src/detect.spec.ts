import { detectDialect, dialectHandler, DIALECT_HANDLERS } from './detect';
import { parseFormBody } from './form-body';

const ACTIVLY = { event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: '2026-02-28T14:30:00Z' };
const PROVESOURCE = { email: 'test@gmail.com', timestamp: 1528611279398, ip: '141.92.55.102', firstName: 'John', lastName: 'Smith', guid: 'id' };
const AC_FORM = 'type=subscribe&date_time=2013-01-01+12%3A00%3A00+-05%3A00&initiated_from=admin&contact[email]=test%40example.com';

describe('detectDialect', () => {
  it('recognises each seed dialect', () => {
    expect(detectDialect(ACTIVLY, 'application/json')).toEqual({ dialect: 'activly', confidence: 0.95 });
    expect(detectDialect(PROVESOURCE, 'application/json')).toEqual({ dialect: 'provesource', confidence: 0.8 });
    expect(detectDialect(parseFormBody(AC_FORM), 'application/x-www-form-urlencoded').dialect).toBe('activecampaign');
    expect(detectDialect({ anything: 1 }, 'application/json')).toEqual({ dialect: 'generic', confidence: 0.1 });
  });

  it('prefers Activly over ProveSource when a payload has both signatures', () => {
    expect(detectDialect({ ...ACTIVLY, email: 'a@example.com', guid: 'x' }).dialect).toBe('activly');
  });

  it('prefers ActiveCampaign when a payload has both its and ProveSource signatures', () => {
    expect(detectDialect({ type: 'subscribe', contact: { email: 'a@example.com' }, firstName: 'A' }).dialect).toBe('activecampaign');
  });

  it('lets a form body drop Activly below an ActiveCampaign date_time signature', () => {
    const both = { ...ACTIVLY, date_time: '2013-01-01 12:00:00 -05:00', initiated_from: 'admin' };
    expect(detectDialect(both, 'application/json')).toEqual({ dialect: 'activly', confidence: 0.95 });
    expect(detectDialect(both, 'application/x-www-form-urlencoded').dialect).toBe('activecampaign');
  });

  it('breaks equal scores by the handler order', () => {
    // Both score 0.95 for a JSON body; ActiveCampaign comes first in DIALECT_HANDLERS.
    const both = { ...ACTIVLY, type: 'subscribe', contact: { email: 'a@example.com' }, date_time: '2013-01-01 12:00:00 -05:00', initiated_from: 'admin' };
    expect(detectDialect(both, 'application/json')).toEqual({ dialect: 'activecampaign', confidence: 0.95 });
    expect(DIALECT_HANDLERS.map((d) => d.name)).toEqual(['activecampaign', 'activly', 'provesource', 'generic']);
  });

  it('is deterministic and reports a non-object body as generic with confidence 0', () => {
    expect(detectDialect([ACTIVLY])).toEqual({ dialect: 'generic', confidence: 0 });
    expect(detectDialect(ACTIVLY)).toEqual(detectDialect(ACTIVLY));
  });

  it('finds handlers by name', () => {
    expect(dialectHandler('provesource').name).toBe('provesource');
  });
});
