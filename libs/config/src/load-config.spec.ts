import { IsInt, Max, Min } from 'class-validator';
import { BaseAppConfig } from './base.config';
import { DEV_SECRETS_KEY } from './dev-keys';
import { ConfigValidationError, loadConfig } from './load-config';

class TestConfig extends BaseAppConfig {
  @IsInt() @Min(1) @Max(10) WORKERS = 2;
}

describe('loadConfig', () => {
  it('applies defaults and converts types from strings', () => {
    const c = loadConfig(TestConfig, { WORKERS: '7', HTTP_PORT: '4000', HOOKSTREAM_DEV_INSECURE_KEYS: 'true' });
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

describe('public development keys', () => {
  const realKey = 'q1Bq0cXyGm5m4HzJ4oC3Q9vWmC0rXk0mS2y7bq1s8Ew=';

  it('refuses the public default SECRETS_KEY (also when unset), naming the variable and how to generate one', () => {
    for (const env of [{}, { SECRETS_KEY: DEV_SECRETS_KEY }, { SECRETS_KEY: DEV_SECRETS_KEY, HOOKSTREAM_DEV_INSECURE_KEYS: 'false' }]) {
      let err: unknown;
      try {
        loadConfig(TestConfig, env);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigValidationError);
      const problems = (err as ConfigValidationError).problems;
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^SECRETS_KEY=\(hidden\): SECRETS_KEY is not set .*public development default.*openssl rand -base64 32.*HOOKSTREAM_DEV_INSECURE_KEYS=true/);
      expect(problems[0]).not.toContain(DEV_SECRETS_KEY);
    }
  });

  it('accepts the default only with HOOKSTREAM_DEV_INSECURE_KEYS=true, and a real key without it', () => {
    expect(loadConfig(TestConfig, { HOOKSTREAM_DEV_INSECURE_KEYS: 'true' }).SECRETS_KEY).toBe(DEV_SECRETS_KEY);
    expect(loadConfig(TestConfig, { SECRETS_KEY: realKey }).SECRETS_KEY).toBe(realKey);
  });

  it('rejects a flag that is not true or false', () => {
    expect(() => loadConfig(TestConfig, { SECRETS_KEY: realKey, HOOKSTREAM_DEV_INSECURE_KEYS: 'yes' })).toThrow(/HOOKSTREAM_DEV_INSECURE_KEYS/);
  });
});
