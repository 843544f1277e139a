import { loadConfig } from '@hookstream/config';
import { assertDeliveryConfig, DeliveryConfig } from './delivery.config';

const base = { SECRETS_KEY: 'q1Bq0cXyGm5m4HzJ4oC3Q9vWmC0rXk0mS2y7bq1s8Ew=' };

describe('DeliveryConfig', () => {
  it('binds the internal API to loopback by default, on a port of its own, while health listens on HTTP_HOST', () => {
    const c = loadConfig(DeliveryConfig, base);
    expect(c.DELIVERY_INTERNAL_HOST).toBe('127.0.0.1');
    expect(c.HTTP_HOST).toBe('0.0.0.0');
    expect(c.DELIVERY_INTERNAL_PORT).not.toBe(c.HTTP_PORT);
    expect(() => assertDeliveryConfig(c)).not.toThrow();
  });

  it('refuses the internal API on the health port', () => {
    const c = loadConfig(DeliveryConfig, { ...base, DELIVERY_INTERNAL_PORT: '3005' });
    expect(() => assertDeliveryConfig(c)).toThrow(/DELIVERY_INTERNAL_PORT must differ from HTTP_PORT/);
  });

  it('refuses a retention window shorter than the retry schedule', () => {
    const c = loadConfig(DeliveryConfig, { ...base, DELIVERY_RETENTION_DAYS: '2' });
    expect(() => assertDeliveryConfig(c)).toThrow(/DELIVERY_RETENTION_DAYS must outlast DELIVERY_SCHEDULE \(3\.1 days\)/);
    expect(() => assertDeliveryConfig(loadConfig(DeliveryConfig, { ...base, DELIVERY_RETENTION_DAYS: '2', DELIVERY_SCHEDULE: '0,5,1h' }))).not.toThrow();
  });

  it('refuses an in-memory bound smaller than the buffer the intake and the scheduler fill', () => {
    const c = loadConfig(DeliveryConfig, { ...base, DELIVERY_MAX_QUEUED: '1999' });
    expect(() => assertDeliveryConfig(c)).toThrow(/DELIVERY_MAX_QUEUED must be at least the dispatcher's buffer, .* = 2000/);
    expect(() => assertDeliveryConfig(loadConfig(DeliveryConfig, { ...base, DELIVERY_MAX_QUEUED: '1999', DELIVERY_CLAIM_BATCH: '400' }))).not.toThrow();
  });
});
