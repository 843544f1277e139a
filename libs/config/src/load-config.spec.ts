import { IsInt, Max, Min } from 'class-validator';
import { BaseAppConfig } from './base.config';
import { ConfigValidationError, loadConfig } from './load-config';

class TestConfig extends BaseAppConfig {
  @IsInt() @Min(1) @Max(10) WORKERS = 2;
}

describe('loadConfig', () => {
  it('applies defaults and converts types from strings', () => {
    const c = loadConfig(TestConfig, { WORKERS: '7', HTTP_PORT: '4000' });
    expect(c.WORKERS).toBe(7);
    expect(c.HTTP_PORT).toBe(4000);
    expect(c.KAFKA_BROKERS).toBe('127.0.0.1:9092');
  });

  it('lists every bad variable at once and hides secret values', () => {
    let err: unknown;
    try {
      loadConfig(TestConfig, { WORKERS: '99', HTTP_PORT: 'abc', KAFKA_BROKERS: 'a b', SECRETS_KEY: 'short' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigValidationError);
    const problems = (err as ConfigValidationError).problems.join('\n');
    expect(problems).toMatch(/WORKERS/);
    expect(problems).toMatch(/HTTP_PORT/);
    expect(problems).toMatch(/KAFKA_BROKERS/);
    expect(problems).toMatch(/SECRETS_KEY=\(hidden\)/);
    expect(problems).not.toContain('short');
  });
});
