import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

export class ConfigValidationError extends Error {
  override readonly name = 'ConfigValidationError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}\nFix these environment variables and start again.`);
  }
}

/**
 * Parses the environment once into a typed, validated config object. Every bad variable is listed
 * at once, so an operator fixes a deployment in one go rather than one crash at a time.
 * Values of variables whose names look secret are never echoed.
 */
export function loadConfig<T extends object>(cls: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  const defaults = new cls();
  const plain: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const key of Object.keys(defaults)) {
    const v = env[key];
    if (v === undefined || v === '') continue;
    // Numbers are converted by the type of their default; a non-number stays a string and fails validation.
    plain[key] = typeof plain[key] === 'number' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
  }
  const instance = plainToInstance(cls, plain, { exposeDefaultValues: true });
  const errors = validateSync(instance, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigValidationError(errors.flatMap((e) => describe(e)));
  return instance;
}

const SECRET_NAME = /SECRET|PASSWORD|TOKEN|KEY|DATABASE_URL/i;

function describe(e: ValidationError): string[] {
  const shown = SECRET_NAME.test(e.property) ? '(hidden)' : JSON.stringify(e.value);
  return Object.values(e.constraints ?? {}).map((msg) => `${e.property}=${shown}: ${msg}`);
}
