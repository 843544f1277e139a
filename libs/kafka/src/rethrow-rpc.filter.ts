import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Nest's default RPC filter replaces every error with "Internal server error". The transport needs
 * the real error to decide retry vs dead-letter and to record why, so handlers' errors pass through.
 */
@Catch()
export class RethrowRpcFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
