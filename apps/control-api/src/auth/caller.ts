import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** `read`: GET only. `write`: everything of the account but DLQ operations. `admin`: write + DLQ. */
export type ApiKeyScope = 'read' | 'write' | 'admin';
export const API_KEY_SCOPES: readonly ApiKeyScope[] = ['read', 'write', 'admin'];

/** Who is calling: every query the API runs is scoped to `accountId`. */
export interface Caller {
  accountId: string;
  keyId: string;
  scope: ApiKeyScope;
}

export interface RequestWithCaller {
  caller?: Caller;
}

/** The authenticated caller, set by ApiKeyGuard. */
export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const caller = ctx.switchToHttp().getRequest<RequestWithCaller>().caller;
  // Only reachable if a controller forgot the guard: fail closed.
  if (!caller) throw new Error('CurrentCaller used on a route without ApiKeyGuard');
  return caller;
});
