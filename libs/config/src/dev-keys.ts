import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';

/**
 * Set to `true` to let an app start with the public development defaults of its keys
 * (`SECRETS_KEY`, `EMAIL_KEY_SECRET`). Only for local development: those values are in the
 * source code, so anyone can decrypt what they protect.
 */
export const DEV_INSECURE_KEYS_FLAG = 'HOOKSTREAM_DEV_INSECURE_KEYS';

/** The public development default of SECRETS_KEY (base64 of "dev-only-secrets-key-change-me!!"). */
export const DEV_SECRETS_KEY = 'ZGV2LW9ubHktc2VjcmV0cy1rZXktY2hhbmdlLW1lISE=';

/**
 * Refuses the public development default of a key unless HOOKSTREAM_DEV_INSECURE_KEYS=true is set
 * (read from the same config object), naming the variable and how to generate a real value.
 */
export function NotDevDefault(devDefault: string, generate: string, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'notDevDefault',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate(value: unknown, args: ValidationArguments): boolean {
          if (value !== devDefault) return true;
          return (args.object as Record<string, unknown>)[DEV_INSECURE_KEYS_FLAG] === 'true';
        },
        defaultMessage(args: ValidationArguments): string {
          return (
            `${args.property} is not set (or is the public development default, which anyone can read in the source). ` +
            `Generate one with \`${generate}\` and set ${args.property}` +
            (args.property === 'SECRETS_KEY' ? ' (the same value in every app)' : '') +
            `, or set ${DEV_INSECURE_KEYS_FLAG}=true for a local development run only`
          );
        },
      },
    });
  };
}
