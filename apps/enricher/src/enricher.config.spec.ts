import { ConfigValidationError, loadConfig } from '@hookstream/config';
import { DEV_EMAIL_KEY_SECRET, EnricherConfig } from './enricher.config';

const SECRETS_KEY = 'q1Bq0cXyGm5m4HzJ4oC3Q9vWmC0rXk0mS2y7bq1s8Ew=';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(EnricherConfig, env);
    return [];
  } catch (e) {
    if (e instanceof ConfigValidationError) return e.problems;
    throw e;
  }
}

describe('EnricherConfig keys', () => {
  it('refuses to start with the public default EMAIL_KEY_SECRET, saying how to generate one', () => {
    for (const env of [{ SECRETS_KEY }, { SECRETS_KEY, EMAIL_KEY_SECRET: DEV_EMAIL_KEY_SECRET }]) {
      const problems = problemsOf(env);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^EMAIL_KEY_SECRET=\(hidden\): EMAIL_KEY_SECRET is not set .*openssl rand -base64 32.*HOOKSTREAM_DEV_INSECURE_KEYS=true/);
    }
  });

  it('lists both public defaults at once when neither key is set', () => {
    expect(problemsOf({}).map((p) => p.split('=')[0]).sort()).toEqual(['EMAIL_KEY_SECRET', 'SECRETS_KEY']);
  });

  it('starts with generated keys, or with the defaults only under HOOKSTREAM_DEV_INSECURE_KEYS=true', () => {
    expect(problemsOf({ SECRETS_KEY, EMAIL_KEY_SECRET: 'k4pZ7m1oXc0QvJ2r8s9tU5wY3aB6dE1f' })).toEqual([]);
    expect(loadConfig(EnricherConfig, { HOOKSTREAM_DEV_INSECURE_KEYS: 'true' }).EMAIL_KEY_SECRET).toBe(DEV_EMAIL_KEY_SECRET);
  });
});
