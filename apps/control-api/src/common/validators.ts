import { validateEventTypePattern, validateFilter } from '@hookstream/rules';
import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';

/** Each entry is `*`, an exact type, or a trailing-wildcard pattern like `contact.*`. */
export function IsEventTypePatterns(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isEventTypePatterns',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => Array.isArray(value) && value.every((p) => typeof p === 'string' && validateEventTypePattern(p) === undefined),
        defaultMessage: (args: ValidationArguments) => {
          const value: unknown = args.value;
          if (!Array.isArray(value)) return `${args.property} must be a list of event types`;
          const problems = value.map((p) => (typeof p === 'string' ? validateEventTypePattern(p) : 'not a string')).filter((p): p is string => p !== undefined);
          return `${args.property}: ${problems.join('; ')}`;
        },
      },
    });
  };
}

/** A filter expression as the delivery and automation apps evaluate it (see @hookstream/rules). */
export function IsFilterExpr(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isFilterExpr',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => value === null || value === undefined || validateFilter(value).length === 0,
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} is not a valid filter: ${validateFilter(args.value)
            .map((p) => `${p.at}: ${p.message}`)
            .join('; ')}`,
      },
    });
  };
}
