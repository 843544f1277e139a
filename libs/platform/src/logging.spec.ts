import { isQuietPath } from './logging';

describe('request logging', () => {
  it('leaves out probes and scrapes only', () => {
    expect(isQuietPath('/health/ready')).toBe(true);
    expect(isQuietPath('/health/live')).toBe(true);
    expect(isQuietPath('/metrics')).toBe(true);
    expect(isQuietPath('/metrics?x=1')).toBe(true);
    expect(isQuietPath('/v1/sources')).toBe(false);
    expect(isQuietPath('/metricsx')).toBe(false);
    expect(isQuietPath('/healthz')).toBe(false);
    expect(isQuietPath(undefined)).toBe(false);
  });
});
