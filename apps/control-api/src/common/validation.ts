import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ApiError, type ApiErrorDetail } from './api-error';

function flatten(errors: ValidationError[], parent = ''): ApiErrorDetail[] {
  const out: ApiErrorDetail[] = [];
  for (const e of errors) {
    const field = parent ? (/^\d+$/.test(e.property) ? `${parent}[${e.property}]` : `${parent}.${e.property}`) : e.property;
    for (const [code, message] of Object.entries(e.constraints ?? {})) {
      // forbidNonWhitelisted reports "property x should not exist"; say it plainly.
      out.push({ field, code, message: code === 'whitelistValidation' ? `${field} is not a known field` : message.replace(e.property, field) });
    }
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

/** Unknown fields are refused (a typo must not be silently ignored) and every problem is listed at once. */
export function apiValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      return ApiError.validation(details.map((d) => d.message).join('; ') || 'invalid request', details);
    },
  });
}
