import type { ValidationError } from 'class-validator';
import type { ValidationReason } from '@hookstream/contracts';
import { maskEmailsIn } from './email-search';

export const MAX_VALUE_SUMMARY = 60;

/**
 * A short, safe rendering of an offending value for a reason: strings JSON-quoted, emails masked,
 * objects and arrays described by size rather than dumped, everything cut to 60 characters.
 */
export function summariseValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(maskEmailsIn(value));
  else if (value === null || typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (typeof value === 'bigint') text = `${value}n`;
  else if (Array.isArray(value)) text = `array(${value.length})`;
  else if (typeof value === 'object') text = `object(${Object.keys(value).length} keys)`;
  else text = typeof value;
  return text.length > MAX_VALUE_SUMMARY ? `${text.slice(0, MAX_VALUE_SUMMARY - 1)}…` : text;
}

export function reason(path: string, rule: string, message: string, value?: unknown): ValidationReason {
  const summary = summariseValue(value);
  return summary === undefined ? { path, rule, message } : { path, rule, message, value: summary };
}

export function requiredReason(path: string, extra = ''): ValidationReason {
  return { path, rule: 'required', message: `${path} is required${extra}` };
}

// class-validator's own constraint names that read better under our rule vocabulary.
const RULE_ALIASES: Record<string, string> = { nestedValidation: 'isObject', whitelistValidation: 'unknownField' };

function childPath(parent: string, property: string, parentValue: unknown): string {
  if (Array.isArray(parentValue) && /^\d+$/.test(property)) return `${parent}[${property}]`;
  return parent === '' ? property : `${parent}.${property}`;
}

/**
 * Flattens class-validator's ValidationError tree into reasons with payload paths
 * (`products[1].price`). A missing value (`isDefined` failed) yields one `required` reason instead
 * of one per constraint, since "must be a string" says nothing useful about an absent field.
 */
export function validationErrorsToReasons(
  errors: readonly ValidationError[],
  parentPath = '',
  parentValue: unknown = undefined,
): ValidationReason[] {
  const out: ValidationReason[] = [];
  for (const error of errors) {
    const path = childPath(parentPath, error.property, parentValue);
    const constraints = error.constraints ?? {};
    if ('isDefined' in constraints) {
      out.push(requiredReason(path));
    } else {
      for (const [rule, message] of Object.entries(constraints)) {
        // Messages are written `<property> must …`; nested ones should name the whole path.
        const text = message.startsWith(`${error.property} `) ? `${path}${message.slice(error.property.length)}` : message;
        out.push(reason(path, RULE_ALIASES[rule] ?? rule, text, error.value));
      }
    }
    if (error.children && error.children.length > 0) {
      out.push(...validationErrorsToReasons(error.children, path, error.value));
    }
  }
  return out;
}
